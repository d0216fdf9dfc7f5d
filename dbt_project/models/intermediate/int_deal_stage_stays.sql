-- One row per change of a deal's stage (its stage history): the stay that change starts, until
-- the next change. The one place stage durations are worked out (closes, stage funnel,
-- the rep pages' stuck deals).
with deals as (
    select crm_source, deal_id, pipeline_id from {{ ref('int_crm__deals') }}
),

stages as (
    select crm_source, pipeline_id, stage_id, is_closed from {{ ref('int_crm__pipeline_stages') }}
),

changes as (
    select
        h.crm_source,
        h.deal_id,
        d.pipeline_id,
        h.value as stage_id,
        h.changed_at as entered_at
    from {{ ref('int_crm__deal_history') }} as h
    inner join deals as d on d.crm_source = h.crm_source and d.deal_id = h.deal_id
    where h.property = 'stage'
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
    {{ days_between('o.entered_at', 'o.left_at') }} as days_in_stage
from ordered as o
left join stages as s
    on s.crm_source = o.crm_source and s.pipeline_id = o.pipeline_id and s.stage_id = o.stage_id
