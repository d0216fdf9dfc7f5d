select
    crm_source,
    from_id as feedback_submission_id,
    id as company_id,
    type as association_type
from {{ crm_raw('hubspot', 'feedback_submissions__associations__companies__results') }}
