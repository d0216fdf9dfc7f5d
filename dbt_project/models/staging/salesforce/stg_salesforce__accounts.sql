select
    crm_source,
    id as account_id,
    name as account_name,
    owner_id,
    master_record_id,
    coalesce(is_deleted, false) as is_deleted,
    created_date as created_at,
    system_modstamp as updated_at
from {{ crm_raw('salesforce', 'account') }}
