select
    crm_source,
    id as user_id,
    first_name,
    last_name,
    trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as full_name,
    email,
    user_role_id as role_id,
    manager_id,
    coalesce(is_active, false) as is_active,
    created_date as created_at,
    system_modstamp as updated_at
from {{ crm_raw('salesforce', 'user') }}
