-- HubSpot adapter: calls, e-mails, meetings and tasks that exist and can be used (deleted
-- and quarantined ones left out), with the deal each is associated with as loaded. A call
-- is connected when its disposition is one of var('connected_call_dispositions').
{%- set connected = "'" ~ var('connected_call_dispositions') | join("', '") ~ "'" %}
with activities as (
    select
        crm_source, 'call' as activity_type, call_id as activity_id, owner_id, occurred_at, deal_id,
        true as is_completed, disposition_id as call_disposition_id, updated_at, is_archived
    from {{ ref('stg_hubspot__calls') }}
    union all
    select
        crm_source, 'email', email_id, owner_id, occurred_at, deal_id, true, null, updated_at, is_archived
    from {{ ref('stg_hubspot__emails') }}
    union all
    select
        crm_source, 'meeting', meeting_id, owner_id, occurred_at, deal_id, true, null, updated_at, is_archived
    from {{ ref('stg_hubspot__meetings') }}
    union all
    select
        crm_source, 'task', task_id, owner_id, occurred_at, deal_id, coalesce(is_completed, false), null,
        updated_at, is_archived
    from {{ ref('stg_hubspot__tasks') }}
),

quarantined as (
    {%- for type, object in [('call', 'calls'), ('email', 'emails'), ('meeting', 'meetings'), ('task', 'tasks')] %}
    select crm_source, '{{ type }}' as activity_type, loaded_id as activity_id
    from {{ ref('quarantine_' ~ object) }}
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
)

select
    a.crm_source,
    a.activity_type,
    a.activity_id,
    a.owner_id,
    a.occurred_at,
    a.deal_id,
    a.is_completed,
    a.call_disposition_id,
    coalesce(a.call_disposition_id in ({{ connected }}), false) as is_connected_call,
    a.updated_at
from activities as a
left join quarantined as q
    on q.crm_source = a.crm_source
    and q.activity_type = a.activity_type
    and q.activity_id = a.activity_id
where not a.is_archived and q.activity_id is null
