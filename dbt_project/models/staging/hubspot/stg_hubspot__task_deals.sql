select
    crm_source,
    from_id as task_id,
    id as deal_id,
    type as association_type
from {{ crm_raw('hubspot', 'tasks__associations__deals__results') }}
