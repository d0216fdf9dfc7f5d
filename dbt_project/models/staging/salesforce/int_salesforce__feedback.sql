-- Salesforce adapter: CSAT and NPS answers (Feedback Management): the score of each
-- response of a survey that var('salesforce_surveys') maps (survey DeveloperName -> CSAT or
-- NPS), with the opportunity or account its invitation is about.
{%- set surveys = var('salesforce_surveys') %}
select
    crm_source,
    answer_id as feedback_id,
    case survey_developer_name
        {%- for name, kind in surveys.items() %}
        when '{{ name }}' then '{{ kind }}'
        {%- endfor %}
    end as survey_type,
    survey_name,
    score,
    submitted_at,
    case when subject_entity_type = 'Opportunity' then subject_id end as deal_id,
    case when subject_entity_type = 'Account' then subject_id end as company_id,
    updated_at
from {{ ref('stg_salesforce__survey_answers') }} as a
where not is_deleted
    and not exists (
        select 1 from {{ ref('quarantine_survey_question_response') }} as q
        where q.crm_source = a.crm_source and q.loaded_id = a.answer_id
    )
    and score is not null
    and survey_developer_name in ('{{ surveys.keys() | join("', '") }}')
