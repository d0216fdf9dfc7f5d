-- When each currently-closed deal entered its current closed stage, and who owned it then.
-- A deal moved back to an open stage after closing has no row here (it is open again).
with stays as (
    select crm_source, deal_id, stage_id, entered_at, is_closed_stage, is_current
    from {{ ref('int_deal_stage_stays') }}
),

-- History includes the current value as its newest entry.
current_stage as (
    select crm_source, deal_id, stage_id, is_closed_stage from stays where is_current
),

last_other_stage as (
    select s.crm_source, s.deal_id, max(s.entered_at) as last_other_at
    from stays as s
    inner join current_stage as c on c.crm_source = s.crm_source and c.deal_id = s.deal_id
    where s.stage_id <> c.stage_id
    group by s.crm_source, s.deal_id
),

-- Entry into the current closed stage: the first change of its final uninterrupted run.
closes as (
    select c.crm_source, c.deal_id, min(s.entered_at) as closed_at
    from current_stage as c
    inner join stays as s
        on s.crm_source = c.crm_source and s.deal_id = c.deal_id and s.stage_id = c.stage_id
    left join last_other_stage as o on o.crm_source = c.crm_source and o.deal_id = c.deal_id
    where c.is_closed_stage and (o.last_other_at is null or s.entered_at > o.last_other_at)
    group by c.crm_source, c.deal_id
),

owner_changes as (
    select crm_source, deal_id, value as owner_id, changed_at
    from {{ ref('int_crm__deal_history') }}
    where property = 'owner'
),

owner_at_close as (
    select
        c.crm_source,
        c.deal_id,
        o.owner_id,
        row_number() over (
            partition by c.crm_source, c.deal_id order by o.changed_at desc
        ) as recency
    from closes as c
    inner join owner_changes as o
        on o.crm_source = c.crm_source and o.deal_id = c.deal_id and o.changed_at <= c.closed_at
)

select
    c.crm_source,
    c.deal_id,
    c.closed_at,
    o.owner_id as owner_id_at_close
from closes as c
left join owner_at_close as o
    on o.crm_source = c.crm_source and o.deal_id = c.deal_id and o.recency = 1
