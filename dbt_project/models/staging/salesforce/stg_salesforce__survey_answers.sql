-- One row per answer to a survey question (Feedback Management): its score, the survey,
-- when the response was completed and what the invitation was about. An org without
-- Feedback Management has none.
{%- if crm_raw_exists('salesforce', 'survey_question_response') %}
select
    a.crm_source,
    a.id as answer_id,
    s.developer_name as survey_developer_name,
    s.name as survey_name,
    cast(a.number_value as decimal(28, 6)) as score,
    r.completion_date_time as submitted_at,
    subj.subject_id,
    subj.subject_entity_type,
    coalesce(a.is_deleted, false) or coalesce(subj.is_deleted, false) as is_deleted,
    greatest(a.system_modstamp, r.system_modstamp) as updated_at
from {{ crm_raw('salesforce', 'survey_question_response', optional=true) }} as a
inner join {{ crm_raw('salesforce', 'survey_response', optional=true) }} as r
    on r.crm_source = a.crm_source and r.id = a.response_id
inner join {{ crm_raw('salesforce', 'survey', optional=true) }} as s
    on s.crm_source = r.crm_source and s.id = r.survey_id
left join {{ crm_raw('salesforce', 'survey_subject', optional=true) }} as subj
    on subj.crm_source = a.crm_source and subj.survey_invitation_id = a.invitation_id
{%- else %}
select
    cast(null as {{ dbt.type_string() }}) as crm_source,
    cast(null as {{ dbt.type_string() }}) as answer_id,
    cast(null as {{ dbt.type_string() }}) as survey_developer_name,
    cast(null as {{ dbt.type_string() }}) as survey_name,
    cast(null as decimal(28, 6)) as score,
    cast(null as {{ type_timestamptz() }}) as submitted_at,
    cast(null as {{ dbt.type_string() }}) as subject_id,
    cast(null as {{ dbt.type_string() }}) as subject_entity_type,
    false as is_deleted,
    cast(null as {{ type_timestamptz() }}) as updated_at
where false
{%- endif %}
