-- HubSpot adapter: CSAT and NPS answers are feedback submissions, with the deal and the
-- company each is associated with as loaded. Deleted and quarantined ones are left out.
select
    '{{ var("crm_source") }}' as crm_source,
    feedback_submission_id as feedback_id,
    survey_type,
    survey_name,
    score,
    submitted_at,
    deal_id,
    company_id,
    updated_at
from {{ ref('stg_hubspot__feedback_submissions') }}
where not is_archived
    and feedback_submission_id not in (
        select loaded_id from {{ ref('quarantine_feedback_submissions') }}
    )
