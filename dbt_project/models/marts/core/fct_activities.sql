-- One row per call, email, meeting and task. Activities credit their own owner.
-- An activity of a deal merged into another belongs to the surviving deal: HubSpot moves
-- the association but does not modify the activity, so raw still names the merged-away deal.
with unioned as (
    select
        'call' as activity_type, call_id as activity_id, owner_id, occurred_at, deal_id,
        true as is_completed,
        disposition_id as call_disposition_id
    from {{ ref('stg_hubspot__calls') }}
    where not is_archived and call_id not in (select loaded_id from {{ ref('quarantine_calls') }})
    union all
    select
        'email', email_id, owner_id, occurred_at, deal_id, true, null
    from {{ ref('stg_hubspot__emails') }}
    where not is_archived and email_id not in (select loaded_id from {{ ref('quarantine_emails') }})
    union all
    select
        'meeting', meeting_id, owner_id, occurred_at, deal_id, true, null
    from {{ ref('stg_hubspot__meetings') }}
    where not is_archived and meeting_id not in (select loaded_id from {{ ref('quarantine_meetings') }})
    union all
    select
        'task', task_id, owner_id, occurred_at, deal_id, coalesce(is_completed, false), null
    from {{ ref('stg_hubspot__tasks') }}
    where not is_archived and task_id not in (select loaded_id from {{ ref('quarantine_tasks') }})
)

select
    activity_type || ':' || activity_id as activity_key,
    activity_id,
    activity_type,
    owner_id,
    occurred_at,
    {{ reporting_month('occurred_at') }} as activity_month,
    coalesce(m.merged_into_id, u.deal_id) as deal_id,
    is_completed,
    call_disposition_id,
    coalesce(
        call_disposition_id in ({{ "'" ~ var('connected_call_dispositions') | join("', '") ~ "'" }}),
        false
    ) as is_connected_call
from unioned as u
left join {{ ref('int_merges_resolved') }} as m
    on m.object_type = 'deals' and m.merged_id = u.deal_id
