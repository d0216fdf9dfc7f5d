-- HubSpot adapter: CSAT and NPS answers are feedback submissions, with the deal and the
-- company each is associated with as loaded. Deleted and quarantined ones are left out.
select
    f.crm_source,
    f.feedback_submission_id as feedback_id,
    f.survey_type,
    f.survey_name,
    f.score,
    f.submitted_at,
    f.deal_id,
    f.company_id,
    f.updated_at
from {{ ref('stg_hubspot__feedback_submissions') }} as f
where not f.is_archived
    and not exists (
        select 1 from {{ ref('quarantine_feedback_submissions') }} as q
        where q.crm_source = f.crm_source and q.loaded_id = f.feedback_submission_id
    )
