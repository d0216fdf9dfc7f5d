select
    crm_source,
    from_id as call_id,
    id as deal_id,
    type as association_type
from {{ crm_raw('hubspot', 'calls__associations__deals__results') }}
