-- Revenue quota per rep and reporting month. A goal target spanning several months is
-- spread evenly by day: each month gets target x (its days in the target / target days).
with targets as (
    select
        g.goal_target_id,
        o.owner_id,
        g.target_amount,
        {{ reporting_date('g.starts_at') }} as first_day,
        {{ reporting_date('g.ends_at') }} as last_day
    from {{ ref('stg_hubspot__goal_targets') }} as g
    inner join {{ ref('int_crm__reps') }} as o on o.user_id = g.assignee_user_id
    where not g.is_archived
      and g.goal_target_id not in (select loaded_id from {{ ref('quarantine_goal_targets') }})
      and g.goal_type in ({{ "'" ~ var('quota_goal_types') | join("', '") ~ "'" }})
),

days_per_month as (
    select
        t.goal_target_id,
        t.owner_id,
        t.target_amount,
        d.month_start,
        count(*) as days_in_month,
        {{ dbt.datediff('t.first_day', 't.last_day', 'day') }} + 1 as target_days
    from targets as t
    inner join {{ ref('dim_date') }} as d on d.date_day between t.first_day and t.last_day
    group by 1, 2, 3, 4, 6
)

select
    owner_id,
    month_start,
    -- numeric, so that sums over reps and months are exact and repeatable
    cast(sum(target_amount * days_in_month / target_days) as {{ dbt.type_numeric() }}) as quota
from days_per_month
group by owner_id, month_start
