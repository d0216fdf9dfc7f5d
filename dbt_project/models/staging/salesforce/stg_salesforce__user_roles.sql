select
    crm_source,
    id as role_id,
    name as role_name,
    parent_role_id
from {{ crm_raw('salesforce', 'user_role') }}
