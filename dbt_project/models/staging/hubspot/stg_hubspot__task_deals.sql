select
    from_id as task_id,
    id as deal_id,
    type as association_type
from {{ source('raw_hubspot', 'tasks__associations__deals__results') }}
