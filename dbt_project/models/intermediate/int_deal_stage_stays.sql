{{
    config(
        materialized='incremental',
        unique_key=['crm_source', 'deal_id'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_updated_at') }}",
        post_hook="{% set c %}not exists (select 1 from {{ ref('int_crm__deals') }} as d where d.crm_source = t.crm_source and d.deal_id = t.deal_id){% endset %}{{ delete_rows(this, c) }}",
    )
}}
-- One row per change of a deal's stage (its stage history): the stay that change starts, until
-- the next change. The one place stage durations are worked out (closes, stage funnel,
-- the rep pages' stuck deals).
-- Incremental (a full rebuild ordered every stage change of the history): a run re-states
-- the deals changed since the newest change already here, those whose stage a pipeline edit
-- made closed or open, and with DBT_WINDOW_START (a partition day or a backfill range) those
-- changed since it; each such deal's rows are replaced whole, and rows of deals no longer in
-- int_crm__deals are removed.
{#- A table built before it was incremental is re-stated whole once (the pre-hook empties it). -#}
{%- set restate_some = incremental_with(['deal_updated_at']) %}
with stage_history as (
    select crm_source, deal_id, value, changed_at
    from {{ ref('int_crm__deal_history') }}
    where property = 'stage'
),

deals as (
    select
        d.crm_source,
        d.deal_id,
        d.pipeline_id,
        greatest(d.updated_at, coalesce(h.last_changed_at, d.updated_at)) as deal_updated_at
    from {{ ref('int_crm__deals') }} as d
    left join (
        select crm_source, deal_id, max(changed_at) as last_changed_at
        from stage_history
        group by crm_source, deal_id
    ) as h on h.crm_source = d.crm_source and h.deal_id = d.deal_id
),

stages as (
    select crm_source, pipeline_id, stage_id, is_closed from {{ ref('int_crm__pipeline_stages') }}
),

{% if restate_some %}
restated as (
    select crm_source, deal_id from deals
    -- each connection from its own newest change (their loads run apart)
    where deal_updated_at > (
        select coalesce(max(t.deal_updated_at), '1900-01-01') from {{ this }} as t
        where t.crm_source = deals.crm_source
    )
        {{ or_changed_in_window('deal_updated_at') }}
    union
    select t.crm_source, t.deal_id
    from {{ this }} as t
    left join stages as s
        on s.crm_source = t.crm_source and s.pipeline_id = t.pipeline_id and s.stage_id = t.stage_id
    where t.is_closed_stage is distinct from coalesce(s.is_closed, false)
),
{% endif %}

changes as (
    select
        h.crm_source,
        h.deal_id,
        d.pipeline_id,
        d.deal_updated_at,
        h.value as stage_id,
        h.changed_at as entered_at
    from stage_history as h
    inner join deals as d on d.crm_source = h.crm_source and d.deal_id = h.deal_id
    {% if restate_some %}
    inner join restated as r on r.crm_source = h.crm_source and r.deal_id = h.deal_id
    {% endif %}
),

-- Of changes at the same instant, the smallest stage id counts as the later one (the deal's
-- current stage when they are its newest), as the close logic always did.
ordered as (
    select
        *,
        lag(stage_id) over stay_order as from_stage_id,
        lead(stage_id) over stay_order as to_stage_id,
        lead(entered_at) over stay_order as left_at
    from changes
    window stay_order as (partition by crm_source, deal_id order by entered_at, stage_id desc)
)

select
    o.crm_source,
    o.deal_id,
    o.pipeline_id,
    o.stage_id,
    coalesce(s.is_closed, false) as is_closed_stage,
    o.from_stage_id,
    o.to_stage_id,
    o.entered_at,
    o.left_at,
    o.left_at is null as is_current,
    {{ days_between('o.entered_at', 'o.left_at') }} as days_in_stage,
    o.deal_updated_at
from ordered as o
left join stages as s
    on s.crm_source = o.crm_source and s.pipeline_id = o.pipeline_id and s.stage_id = o.stage_id
