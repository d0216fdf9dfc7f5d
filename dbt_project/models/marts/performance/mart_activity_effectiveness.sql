-- Rep x fiscal quarter x meetings held on the deal (0 / 1 / 2-3 / 4+): closed deals and
-- win rate. Answers "which activity levels go with winning".
with meetings as (
    select crm_source, deal_id, count(*) as meetings
    from {{ ref('fct_activities') }}
    where activity_type = 'meeting' and deal_id is not null
    group by crm_source, deal_id
),

closed as (
    select
        -- the person (int_rep_identities); an owner the CRM does not list keeps its own key
        coalesce(i.rep_key, {{ surrogate_key(['d.crm_source', 'd.owner_id']) }}) as rep_key,
        d.crm_source,
        d.owner_id,
        d.deal_id,
        d.is_won,
        cal.fiscal_year,
        cal.fiscal_quarter,
        cal.fiscal_quarter_start,
        coalesce(m.meetings, 0) as meetings
    from {{ ref('fct_deals') }} as d
    inner join {{ ref('dim_date') }} as cal on cal.date_day = d.closed_month
    left join {{ ref('int_rep_identities') }} as i
        on i.crm_source = d.crm_source and i.owner_id = d.owner_id
    left join meetings as m on m.crm_source = d.crm_source and m.deal_id = d.deal_id
    where d.is_won or d.is_lost
),

bucketed as (
    select
        *,
        case
            when meetings = 0 then '0'
            when meetings = 1 then '1'
            when meetings <= 3 then '2-3'
            else '4+'
        end as meetings_bucket
    from closed
)

select
    {{ surrogate_key(['b.rep_key', 'b.fiscal_quarter_start', 'b.meetings_bucket']) }} as effectiveness_row_id,
    b.rep_key,
    coalesce(r.crm_source, min(b.crm_source)) as crm_source,
    coalesce(r.owner_id, min(b.owner_id)) as owner_id,
    r.rep_name,
    r.team_id,
    r.team_name,
    b.fiscal_year,
    b.fiscal_quarter,
    b.fiscal_quarter_start,
    b.meetings_bucket,
    cast(count(*) as integer) as closed_deals,
    cast(sum(case when b.is_won then 1 else 0 end) as integer) as won_deals,
    {{ safe_divide('sum(case when b.is_won then 1 else 0 end)', 'count(*)') }} as win_rate
from bucketed as b
left join {{ ref('dim_reps') }} as r on r.rep_key = b.rep_key
group by
    b.rep_key, r.crm_source, r.owner_id, r.rep_name, r.team_id, r.team_name,
    b.fiscal_year, b.fiscal_quarter, b.fiscal_quarter_start, b.meetings_bucket
