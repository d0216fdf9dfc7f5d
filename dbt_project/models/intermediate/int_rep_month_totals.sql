-- Counts and sums per rep x reporting month; the mart derives every rate from these.
-- The month range runs from the first to the last month with any deal or activity.
with bounds as (
    select min(m) as first_month, max(m) as last_month
    from (
        select created_month as m from {{ ref('fct_deals') }}
        union all
        select closed_month from {{ ref('fct_deals') }} where is_closed
        union all
        select activity_month from {{ ref('fct_activities') }}
    ) as months
),

months as (
    select distinct d.month_start
    from {{ ref('dim_date') }} as d
    cross join bounds as b
    where d.month_start between b.first_month and b.last_month
),

spine as (
    select r.owner_id, m.month_start
    from {{ ref('dim_reps') }} as r
    cross join months as m
),

deal_totals as (
    select
        owner_id,
        closed_month as month_start,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_lost then 1 else 0 end) as lost_deals,
        sum(case when is_won then amount_home else 0 end) as bookings
    from {{ ref('fct_deals') }}
    where is_closed
    group by 1, 2
),

activity_totals as (
    select
        owner_id,
        activity_month as month_start,
        sum(case when activity_type = 'call' then 1 else 0 end) as calls,
        sum(case when activity_type = 'email' then 1 else 0 end) as emails,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meetings,
        sum(case when activity_type = 'task' and is_completed then 1 else 0 end) as tasks_completed
    from {{ ref('fct_activities') }}
    group by 1, 2
)

select
    s.owner_id,
    s.month_start,
    cast(coalesce(d.won_deals, 0) as integer) as won_deals,
    cast(coalesce(d.lost_deals, 0) as integer) as lost_deals,
    coalesce(d.bookings, 0) as bookings,
    q.quota,
    cast(coalesce(a.calls, 0) as integer) as calls,
    cast(coalesce(a.emails, 0) as integer) as emails,
    cast(coalesce(a.meetings, 0) as integer) as meetings,
    cast(coalesce(a.tasks_completed, 0) as integer) as tasks_completed
from spine as s
left join deal_totals as d on d.owner_id = s.owner_id and d.month_start = s.month_start
left join activity_totals as a on a.owner_id = s.owner_id and a.month_start = s.month_start
left join {{ ref('int_quotas_spread_monthly') }} as q
    on q.owner_id = s.owner_id and q.month_start = s.month_start
