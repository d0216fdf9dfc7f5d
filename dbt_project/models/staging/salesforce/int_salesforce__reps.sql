-- Salesforce adapter: reps are the org's users; a user's role is their team. Salesforce
-- has no numeric user id beside the record id (quotas name the user by its record id).
select
    u.crm_source,
    u.user_id as owner_id,
    cast(null as {{ dbt.type_bigint() }}) as user_id,
    u.first_name,
    u.last_name,
    u.full_name,
    u.email,
    u.role_id as team_id,
    r.role_name as team_name,
    not u.is_active as is_archived,
    u.created_at,
    u.updated_at
from {{ ref('stg_salesforce__users') }} as u
left join {{ ref('stg_salesforce__user_roles') }} as r
    on r.crm_source = u.crm_source and r.role_id = u.role_id
