-- Rep ramp (docs/METRICS.md, "Ramp"): every rep x month from the month they started,
-- numbered by tenure (1 = the start month), with their bookings against quota.
-- A rep's start is the reporting month of their first owned record or quota, whichever is
-- first: the first time they owned a deal (owner history, so a deal handed to them counts from
-- the handover), their first activity, or the first month a revenue quota of theirs covers. A
-- person with identities in several connections started at the first of them. Reps whose first
-- month is the data's first month may have started before it (started_before_history).
with reps as (
    select crm_source, owner_id, rep_key from {{ ref('int_rep_identities') }}
),

firsts as (
    select h.crm_source, h.value as owner_id, {{ reporting_month('min(h.changed_at)') }} as first_month
    from {{ ref('int_crm__deal_history') }} as h
    inner join {{ ref('fct_deals') }} as d on d.crm_source = h.crm_source and d.deal_id = h.deal_id
    where h.property = 'owner' and h.value is not null
    group by h.crm_source, h.value
    union all
    select crm_source, owner_id, {{ reporting_month('min(occurred_at)') }}
    from {{ ref('fct_activities') }}
    where owner_id is not null
    group by crm_source, owner_id
    union all
    select crm_source, owner_id, min(month_start)
    from {{ ref('int_quotas_spread_monthly') }}
    where quota > 0
    group by crm_source, owner_id
),

first_data_month as (
    select min(month_start) as month_start from {{ ref('int_reporting_months') }}
),

starts as (    select
        r.rep_key,
        min(f.first_month) as start_month,
        min(f.first_month) <= max(m.month_start) as started_before_history
    from reps as r
    inner join firsts as f on f.crm_source = r.crm_source and f.owner_id = r.owner_id
    cross join first_data_month as m
    group by r.rep_key
)

select
    {{ surrogate_key(['p.rep_key', 'p.month_start']) }} as rep_ramp_id,
    p.rep_key,
    p.crm_source,
    p.owner_id,
    p.rep_name,
    p.team_id,
    p.team_name,
    s.start_month,
    s.started_before_history,
    p.month_start,
    cast({{ dbt.datediff('s.start_month', 'p.month_start', 'month') }} + 1 as integer) as tenure_month,
    p.won_deals,
    p.bookings,
    p.quota,
    p.quota_attainment
from {{ ref('mart_rep_performance_monthly') }} as p
inner join starts as s on s.rep_key = p.rep_key
where p.month_start >= s.start_month
