-- HubSpot adapter: a stage is closed when its metadata says so; closed with probability 1
-- is won, closed with probability 0 is lost (HubSpot has no separate won flag).
select
    s.crm_source,
    s.pipeline_id,
    p.pipeline_label,
    s.stage_id,
    s.stage_label,
    s.display_order as stage_order,
    s.probability,
    coalesce(s.is_closed, false) as is_closed,
    coalesce(s.is_closed and s.probability = 1, false) as is_won,
    coalesce(s.is_closed and s.probability = 0, false) as is_lost,
    s.is_archived
from {{ ref('stg_hubspot__deal_pipeline_stages') }} as s
left join {{ ref('stg_hubspot__deal_pipelines') }} as p
    on p.crm_source = s.crm_source and p.pipeline_id = s.pipeline_id
