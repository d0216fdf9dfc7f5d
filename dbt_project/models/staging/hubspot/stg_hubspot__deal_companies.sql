select
    from_id as deal_id,
    id as company_id,
    type as association_type
from {{ source('raw_hubspot', 'deals__associations__companies__results') }}
