-- HubSpot adapter: records deleted in HubSpot (archived), with when: a deal's archivedAt
-- (the pipeline waterfall counts it until then), other records' last modification.
-- Every other adapter model leaves them out already.
{%- set deletable = [
    ('deal', 'stg_hubspot__deals', 'deal_id', 'archived_at'),
    ('contact', 'stg_hubspot__contacts', 'contact_id', 'updated_at'),
    ('company', 'stg_hubspot__companies', 'company_id', 'updated_at'),
    ('call', 'stg_hubspot__calls', 'call_id', 'updated_at'),
    ('email', 'stg_hubspot__emails', 'email_id', 'updated_at'),
    ('meeting', 'stg_hubspot__meetings', 'meeting_id', 'updated_at'),
    ('task', 'stg_hubspot__tasks', 'task_id', 'updated_at'),
    ('quota', 'stg_hubspot__goal_targets', 'goal_target_id', 'updated_at'),
    ('feedback', 'stg_hubspot__feedback_submissions', 'feedback_submission_id', 'updated_at'),
] %}
{%- for object_type, model, id_column, deleted_at in deletable %}
select
    crm_source,
    '{{ object_type }}' as object_type,
    {{ id_column }} as record_id,
    {{ deleted_at }} as deleted_at
from {{ ref(model) }}
where is_archived
{{ "union all" if not loop.last }}
{%- endfor %}
