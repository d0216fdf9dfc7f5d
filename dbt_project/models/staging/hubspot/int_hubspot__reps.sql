-- HubSpot adapter: reps are HubSpot owners (users who can own CRM records).
select
    crm_source,
    owner_id,
    user_id,
    first_name,
    last_name,
    full_name,
    email,
    team_id,
    team_name,
    is_archived,
    created_at,
    updated_at
from {{ ref('stg_hubspot__owners') }}
