select
    from_id as call_id,
    id as deal_id,
    type as association_type
from {{ source('raw_hubspot', 'calls__associations__deals__results') }}
