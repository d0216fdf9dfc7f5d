select
    crm_source,
    id as feedback_submission_id,
    upper(properties__hs_survey_type) as survey_type,
    properties__hs_survey_name as survey_name,
    {{ parse_number('properties__hs_value') }} as score,
    {{ parse_timestamptz('properties__hs_submission_timestamp') }} as submitted_at,
    associated_deal_id as deal_id,
    associated_company_id as company_id,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'feedback_submissions') }}
