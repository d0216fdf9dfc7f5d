select
    crm_source,
    id as event_id,
    start_date_time as starts_at,
    activity_date_time,
    what_id,
    owner_id,
    coalesce(is_deleted, false) as is_deleted,
    created_date as created_at,
    system_modstamp as updated_at
from {{ crm_raw('salesforce', 'event') }}
