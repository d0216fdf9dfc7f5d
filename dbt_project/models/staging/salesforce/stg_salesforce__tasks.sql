select
    crm_source,
    id as task_id,
    task_subtype,
    status,
    coalesce(is_closed, false) as is_closed,
    activity_date,
    completed_date_time as completed_at,
    call_disposition,
    what_id,
    owner_id,
    coalesce(is_deleted, false) as is_deleted,
    created_date as created_at,
    system_modstamp as updated_at
from {{ crm_raw('salesforce', 'task') }}
