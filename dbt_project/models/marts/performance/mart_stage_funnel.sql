-- Pipeline x stage x deal-create month: how many deals entered each stage (or a later one:
-- skipped stages count as passed), conversion to the next stage, and median days in stage.
-- The lost stage stands apart: it counts deals that entered it, and has no next stage.
with stages as (
    select
        crm_source,
        pipeline_id,
        stage_id,
        stage_label,
        stage_order as display_order,
        is_lost as is_lost_stage
    from {{ ref('int_crm__pipeline_stages') }}
),

path as (
    select
        *,
        lead(stage_id) over (partition by crm_source, pipeline_id order by display_order) as next_stage_id
    from stages
    where not is_lost_stage
),

deals as (
    select crm_source, deal_id, pipeline_id, created_month from {{ ref('fct_deals') }}
),

stays as (
    select crm_source, deal_id, stage_id, days_in_stage from {{ ref('int_deal_stage_stays') }}
),

reach as (
    select
        d.crm_source,
        d.deal_id,
        d.pipeline_id,
        d.created_month,
        max(case when not s.is_lost_stage then s.display_order end) as furthest_order,
        max(case when s.is_lost_stage then 1 else 0 end) as entered_lost
    from deals as d
    inner join stays as c on c.crm_source = d.crm_source and c.deal_id = d.deal_id
    inner join stages as s
        on s.crm_source = d.crm_source and s.pipeline_id = d.pipeline_id and s.stage_id = c.stage_id
    group by 1, 2, 3, 4
),

cohort_stages as (
    select distinct
        r.crm_source, r.pipeline_id, r.created_month, s.stage_id, s.stage_label, s.display_order, s.is_lost_stage
    from reach as r
    inner join stages as s on s.crm_source = r.crm_source and s.pipeline_id = r.pipeline_id
),

entered as (
    select
        cs.crm_source,
        cs.pipeline_id,
        cs.created_month,
        cs.stage_id,
        sum(
            case
                when cs.is_lost_stage then r.entered_lost
                when r.furthest_order >= cs.display_order then 1
                else 0
            end
        ) as deals_entered
    from cohort_stages as cs
    inner join reach as r
        on r.crm_source = cs.crm_source and r.pipeline_id = cs.pipeline_id and r.created_month = cs.created_month
    group by 1, 2, 3, 4
),

days_in_stage as (
    select
        d.crm_source,
        d.pipeline_id,
        d.created_month,
        c.stage_id,
        cast(percentile_cont(0.5) within group (order by c.days_in_stage) as decimal(18, 9))
            as median_days_in_stage
    from stays as c
    inner join deals as d on d.crm_source = c.crm_source and d.deal_id = c.deal_id
    where c.days_in_stage is not null
    group by 1, 2, 3, 4
)

select
    {{ surrogate_key(['cs.crm_source', 'cs.pipeline_id', 'cs.stage_id', 'cs.created_month']) }} as funnel_row_id,
    cs.crm_source,
    cs.pipeline_id,
    cs.stage_id,
    cs.stage_label,
    cs.display_order,
    cs.created_month,
    cast(e.deals_entered as integer) as deals_entered,
    {{ safe_divide('nxt.deals_entered', 'e.deals_entered') }} as conversion_to_next,
    m.median_days_in_stage
from cohort_stages as cs
inner join entered as e
    on e.crm_source = cs.crm_source
    and e.pipeline_id = cs.pipeline_id and e.created_month = cs.created_month and e.stage_id = cs.stage_id
left join path as p
    on p.crm_source = cs.crm_source and p.pipeline_id = cs.pipeline_id and p.stage_id = cs.stage_id
left join entered as nxt
    on nxt.crm_source = cs.crm_source
    and nxt.pipeline_id = cs.pipeline_id
    and nxt.created_month = cs.created_month
    and nxt.stage_id = p.next_stage_id
left join days_in_stage as m
    on m.crm_source = cs.crm_source
    and m.pipeline_id = cs.pipeline_id and m.created_month = cs.created_month and m.stage_id = cs.stage_id
