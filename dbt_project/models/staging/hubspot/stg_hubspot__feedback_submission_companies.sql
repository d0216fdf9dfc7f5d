select
    from_id as feedback_submission_id,
    id as company_id,
    type as association_type
from {{ source('raw_hubspot', 'feedback_submissions__associations__companies__results') }}
