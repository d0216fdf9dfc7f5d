-- The reporting months every rep x month mart covers: from the first to the last month
-- with a deal created or closed or an activity, with their start and end instants.
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
)

select
    m.month_start,
    cast({{ dbt.dateadd('month', 1, 'm.month_start') }} as date) as next_month_start,
    {{ local_day_start('m.month_start') }} as month_start_at,
    {{ local_day_start(dbt.dateadd('month', 1, 'm.month_start')) }} as next_month_start_at,
    -- A month still running ends, for now, where the data ends.
    least(
        cast({{ dbt.dateadd('month', 1, 'm.month_start') }} as date), a.as_of_date
    ) as period_end_date
from months as m
cross join {{ ref('int_data_as_of') }} as a
