-- Rep x reporting month KPIs, each exactly as METRICS.md defines it.
with totals as (
    select * from {{ ref('int_rep_month_totals') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
)

select
    {{ surrogate_key(['t.owner_id', 't.month_start']) }} as rep_month_id,
    t.month_start,
    t.owner_id,
    r.rep_name,
    r.team_id,
    r.team_name,
    t.won_deals,
    t.lost_deals,
    {{ safe_divide('t.won_deals', 't.won_deals + t.lost_deals') }} as win_rate,
    t.bookings,
    {{ safe_divide('t.bookings', 't.won_deals') }} as avg_deal_size,
    t.quota,
    {{ safe_divide('t.bookings', 't.quota') }} as quota_attainment,
    t.calls,
    t.emails,
    t.meetings,
    t.tasks_completed,
    t.calls + t.emails + t.meetings + t.tasks_completed as activities_total
from totals as t
left join reps as r on r.owner_id = t.owner_id
