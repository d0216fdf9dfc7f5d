select
    from_id as email_id,
    id as deal_id,
    type as association_type
from {{ source('raw_hubspot', 'emails__associations__deals__results') }}
