select
    crm_source,
    from_id as meeting_id,
    id as deal_id,
    type as association_type
from {{ crm_raw('hubspot', 'meetings__associations__deals__results') }}
