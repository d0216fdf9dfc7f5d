select
    crm_source,
    from_id as feedback_submission_id,
    id as deal_id,
    type as association_type
from {{ crm_raw('hubspot', 'feedback_submissions__associations__deals__results') }}
