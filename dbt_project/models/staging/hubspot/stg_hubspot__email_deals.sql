select
    crm_source,
    from_id as email_id,
    id as deal_id,
    type as association_type
from {{ crm_raw('hubspot', 'emails__associations__deals__results') }}
