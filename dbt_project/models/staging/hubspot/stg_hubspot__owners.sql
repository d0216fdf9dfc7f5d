select
    crm_source,
    id as owner_id,
    cast(user_id as {{ dbt.type_bigint() }}) as user_id,
    first_name,
    last_name,
    trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as full_name,
    email,
    primary_team_id as team_id,
    primary_team_name as team_name,
    coalesce(archived, false) as is_archived,
    created_at,
    updated_at
from {{ crm_raw('hubspot', 'owners') }}
