-- When each currently-closed deal entered its closed stage, and who owned it then.
-- A deal moved back to an open stage after closing has no row here (it is open again).
with deals as (
    select deal_id, pipeline_id from {{ ref('stg_hubspot__deals') }}
),

stage_changes as (
    select
        h.deal_id,
        h.value as stage_id,
        h.changed_at,
        coalesce(s.is_closed, false) as is_closed
    from {{ ref('stg_hubspot__deal_property_history') }} as h
    inner join deals as d on d.deal_id = h.deal_id
    left join {{ ref('stg_hubspot__deal_pipeline_stages') }} as s
        on s.pipeline_id = d.pipeline_id and s.stage_id = h.value
    where h.property_name = 'dealstage'
),

last_open as (
    select deal_id, max(changed_at) as last_open_at
    from stage_changes
    where not is_closed
    group by deal_id
),

closes as (
    select c.deal_id, min(c.changed_at) as closed_at
    from stage_changes as c
    left join last_open as o on o.deal_id = c.deal_id
    where c.is_closed and (o.last_open_at is null or c.changed_at > o.last_open_at)
    group by c.deal_id
),

owner_changes as (
    select deal_id, value as owner_id, changed_at
    from {{ ref('stg_hubspot__deal_property_history') }}
    where property_name = 'hubspot_owner_id'
),

owner_at_close as (
    select
        c.deal_id,
        o.owner_id,
        row_number() over (partition by c.deal_id order by o.changed_at desc) as recency
    from closes as c
    inner join owner_changes as o
        on o.deal_id = c.deal_id and o.changed_at <= c.closed_at
)

select
    c.deal_id,
    c.closed_at,
    o.owner_id as owner_id_at_close
from closes as c
left join owner_at_close as o on o.deal_id = c.deal_id and o.recency = 1
