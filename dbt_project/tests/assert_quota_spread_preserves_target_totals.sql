-- Spreading goal targets over months must neither create nor lose quota: per owner, the monthly quotas
-- of int_quotas_spread_monthly add up to the (not quarantined) revenue goal targets assigned to
-- that owner's user.
with targets as (
    select o.owner_id, sum(g.target_amount) as target_total
    from {{ ref('stg_hubspot__goal_targets') }} as g
    inner join {{ ref('stg_hubspot__owners') }} as o on o.user_id = g.assignee_user_id
    where not g.is_archived
      and g.goal_target_id not in (select loaded_id from {{ ref('quarantine_goal_targets') }})
      and g.goal_type in ({{ "'" ~ var('quota_goal_types') | join("', '") ~ "'" }})
    group by 1
),

spread as (
    select owner_id, sum(quota) as quota_total
    from {{ ref('int_quotas_spread_monthly') }}
    group by 1
)

select
    coalesce(t.owner_id, s.owner_id) as owner_id,
    t.target_total,
    s.quota_total
from targets as t
full outer join spread as s on s.owner_id = t.owner_id
where t.owner_id is null
   or s.owner_id is null
   or abs(t.target_total - s.quota_total) > 0.01
