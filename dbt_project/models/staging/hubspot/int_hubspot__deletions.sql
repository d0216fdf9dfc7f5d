-- HubSpot adapter: records deleted in HubSpot (archived), with when (their last
-- modification, the archiving). Every other adapter model leaves them out already.
{%- set deletable = [
    ('deal', 'stg_hubspot__deals', 'deal_id'),
    ('contact', 'stg_hubspot__contacts', 'contact_id'),
    ('company', 'stg_hubspot__companies', 'company_id'),
    ('call', 'stg_hubspot__calls', 'call_id'),
    ('email', 'stg_hubspot__emails', 'email_id'),
    ('meeting', 'stg_hubspot__meetings', 'meeting_id'),
    ('task', 'stg_hubspot__tasks', 'task_id'),
    ('quota', 'stg_hubspot__goal_targets', 'goal_target_id'),
    ('feedback', 'stg_hubspot__feedback_submissions', 'feedback_submission_id'),
] %}
{%- for object_type, model, id_column in deletable %}
select
    crm_source,
    '{{ object_type }}' as object_type,
    {{ id_column }} as record_id,
    updated_at as deleted_at
from {{ ref(model) }}
where is_archived
{{ "union all" if not loop.last }}
{%- endfor %}
