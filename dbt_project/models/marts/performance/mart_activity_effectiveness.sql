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
        d.crm_source,
        d.deal_id,
        d.owner_id,
        d.is_won,
        cal.fiscal_year,
        cal.fiscal_quarter,
        cal.fiscal_quarter_start,
        coalesce(m.meetings, 0) as meetings
    from {{ ref('fct_deals') }} as d
    inner join {{ ref('dim_date') }} as cal on cal.date_day = d.closed_month
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
    {{ surrogate_key(['b.crm_source', 'b.owner_id', 'b.fiscal_quarter_start', 'b.meetings_bucket']) }} as effectiveness_row_id,
    r.rep_key,
    b.crm_source,
    b.owner_id,
    r.rep_name,
    r.team_id,
    b.fiscal_year,
    b.fiscal_quarter,
    b.fiscal_quarter_start,
    b.meetings_bucket,
    cast(count(*) as integer) as closed_deals,
    cast(sum(case when b.is_won then 1 else 0 end) as integer) as won_deals,
    {{ safe_divide('sum(case when b.is_won then 1 else 0 end)', 'count(*)') }} as win_rate
from bucketed as b
left join {{ ref('dim_reps') }} as r on r.crm_source = b.crm_source and r.owner_id = b.owner_id
group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
