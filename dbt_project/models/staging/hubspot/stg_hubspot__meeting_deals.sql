select
    from_id as meeting_id,
    id as deal_id,
    type as association_type
from {{ source('raw_hubspot', 'meetings__associations__deals__results') }}
