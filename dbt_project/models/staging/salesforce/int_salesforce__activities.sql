-- Salesforce adapter: tasks by subtype (Call -> call, Email -> email, others -> task) and
-- events (meetings) that exist and can be used (deleted and quarantined ones left out). A task happened when it was completed, else on its due
-- date; an event when it starts. The deal is the WhatId when it names an opportunity
-- (key prefix 006). A call is connected when its CallDisposition is one of
-- var('salesforce_connected_call_dispositions').
{%- set connected = "'" ~ var('salesforce_connected_call_dispositions') | join("', '") ~ "'" %}
select
    crm_source,
    case task_subtype when 'Call' then 'call' when 'Email' then 'email' else 'task' end as activity_type,
    task_id as activity_id,
    owner_id,
    coalesce(completed_at, {{ local_day_start('activity_date') }}, created_at) as occurred_at,
    case when what_id like '006%' then what_id end as deal_id,
    is_closed as is_completed,
    call_disposition as call_disposition_id,
    task_subtype = 'Call' and coalesce(call_disposition in ({{ connected }}), false) as is_connected_call,
    updated_at
from {{ ref('stg_salesforce__tasks') }} as t
where not is_deleted
    and not exists (
        select 1 from {{ ref('quarantine_task') }} as q
        where q.crm_source = t.crm_source and q.loaded_id = t.task_id
    )
union all
select
    crm_source,
    'meeting',
    event_id,
    owner_id,
    coalesce(starts_at, activity_date_time, created_at),
    case when what_id like '006%' then what_id end,
    true,
    null,
    false,
    updated_at
from {{ ref('stg_salesforce__events') }} as e
where not is_deleted
    and not exists (
        select 1 from {{ ref('quarantine_event') }} as q
        where q.crm_source = e.crm_source and q.loaded_id = e.event_id
    )
