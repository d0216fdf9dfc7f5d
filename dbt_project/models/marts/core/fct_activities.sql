{{
    config(
        materialized='incremental',
        unique_key=['crm_source', 'activity_key'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('crm_source') }}",
        post_hook="{% set c %}not exists (select 1 from {{ ref('int_crm__activities') }} as a where a.crm_source = t.crm_source and a.activity_type = t.activity_type and a.activity_id = t.activity_id){% endset %}{{ delete_rows(this, c) }}",
    )
}}
-- One row per call, email, meeting and task. Activities credit their own owner.
-- An activity of a deal merged into another belongs to the surviving deal: HubSpot moves
-- the association but does not modify the activity, so raw still names the merged-away deal.
-- Incremental (the largest fact: rewriting its million rows was the slowest node of a
-- next-day build): a run re-states the activities modified since the newest modification
-- already here, those not here yet (new, or out of quarantine), those of merged-away
-- deals, and, with DBT_WINDOW_START (a partition day or backfill range), those modified
-- since it; the post-hook removes activities the CRM no longer lists as usable (deleted or
-- quarantined since).
{#- A table built before fct_activities had updated_at (or crm_source) is re-stated whole
    once (the pre-hook empties it). -#}
{%- set restate_changes = incremental_with(['updated_at', 'crm_source']) %}
with activities as (
    select * from {{ ref('int_crm__activities') }}
),

merged_deals as (
    select crm_source, merged_id, merged_into_id
    from {{ ref('int_merges_resolved') }}
    where object_type = 'deal'
),

-- The CRM's clock at the newest extraction: a modification time after it is not a real one.
crm_clock as (
    select max(crm_clock_at) as crm_clock_at from {{ ref('int_crm__extractions') }}
),

valid as (
    select a.*
    from activities as a
    {% if restate_changes %}
    where (
            a.updated_at is null
            -- each connection from its own newest change (their loads run apart)
            or a.updated_at >= (
                select max(t.updated_at) from {{ this }} as t where t.crm_source = a.crm_source
            )
            or exists (
                select 1 from merged_deals as m
                where m.crm_source = a.crm_source and m.merged_id = a.deal_id
            )
            or not exists (
                select 1 from {{ this }} as t
                where t.crm_source = a.crm_source
                    and t.activity_type = a.activity_type
                    and t.activity_id = a.activity_id
            )
            {{ or_changed_in_window('a.updated_at') }}
        )
    {% endif %}
)

select
    v.activity_type || ':' || v.activity_id as activity_key,
    v.activity_id,
    v.activity_type,
    v.owner_id,
    v.occurred_at,
    {{ reporting_month('v.occurred_at') }} as activity_month,
    coalesce(m.merged_into_id, v.deal_id) as deal_id,
    v.is_completed,
    v.call_disposition_id,
    v.is_connected_call,
    case when v.updated_at <= c.crm_clock_at then v.updated_at end as updated_at,
    -- last: a table built before it had the column gets it appended (on_schema_change)
    v.crm_source
from valid as v
cross join crm_clock as c
left join merged_deals as m on m.crm_source = v.crm_source and m.merged_id = v.deal_id
