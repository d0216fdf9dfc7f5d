-- HubSpot adapter: revenue quotas are goal targets of a type in var('quota_goal_types'),
-- assigned to a user; the rep is the owner of that user. Deleted and quarantined targets
-- are left out.
select
    g.crm_source,
    g.goal_target_id as quota_id,
    o.owner_id,
    g.target_amount as quota_amount,
    g.starts_at,
    g.ends_at
from {{ ref('stg_hubspot__goal_targets') }} as g
inner join {{ ref('stg_hubspot__owners') }} as o
    on o.crm_source = g.crm_source and o.user_id = g.assignee_user_id
where not g.is_archived
    and not exists (
        select 1 from {{ ref('quarantine_goal_targets') }} as q
        where q.crm_source = g.crm_source and q.loaded_id = g.goal_target_id
    )
    and g.goal_type in ({{ "'" ~ var('quota_goal_types') | join("', '") ~ "'" }})
