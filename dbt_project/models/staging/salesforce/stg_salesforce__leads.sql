select
    crm_source,
    id as lead_id,
    owner_id,
    status,
    coalesce(is_converted, false) as is_converted,
    converted_date,
    converted_account_id,
    converted_contact_id,
    converted_opportunity_id,
    master_record_id,
    coalesce(is_deleted, false) as is_deleted,
    created_date as created_at,
    system_modstamp as updated_at
from {{ crm_raw('salesforce', 'lead') }}
