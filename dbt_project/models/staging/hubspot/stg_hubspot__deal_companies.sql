select
    crm_source,
    from_id as deal_id,
    id as company_id,
    type as association_type
from {{ crm_raw('hubspot', 'deals__associations__companies__results') }}
