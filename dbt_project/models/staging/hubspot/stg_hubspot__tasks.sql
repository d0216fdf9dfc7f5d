select
    crm_source,
    id as task_id,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_timestamptz('properties__hs_timestamp') }} as occurred_at,
    associated_deal_id as deal_id,
    properties__hs_task_subject as subject,
    properties__hs_task_status as task_status,
    properties__hs_task_status = 'COMPLETED' as is_completed,
    properties__hs_task_type as task_type,
    properties__hs_task_priority as priority,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'tasks') }}
