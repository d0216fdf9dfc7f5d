-- Revenue quota per rep and reporting month. A goal target spanning several months is
-- spread evenly by day: each month gets target x (its days in the target / target days).
with targets as (
    select
        crm_source,
        quota_id as goal_target_id,
        owner_id,
        quota_amount as target_amount,
        {{ reporting_date('starts_at') }} as first_day,
        {{ reporting_date('ends_at') }} as last_day
    from {{ ref('int_crm__quotas') }}
),

days_per_month as (
    select
        t.crm_source,
        t.goal_target_id,
        t.owner_id,
        t.target_amount,
        d.month_start,
        count(*) as days_in_month,
        {{ dbt.datediff('t.first_day', 't.last_day', 'day') }} + 1 as target_days
    from targets as t
    inner join {{ ref('dim_date') }} as d on d.date_day between t.first_day and t.last_day
    group by 1, 2, 3, 4, 5, 7
)

select
    crm_source,
    owner_id,
    month_start,
    -- numeric, so that sums over reps and months are exact and repeatable
    cast(sum(target_amount * days_in_month / target_days) as {{ dbt.type_numeric() }}) as quota
from days_per_month
group by crm_source, owner_id, month_start
