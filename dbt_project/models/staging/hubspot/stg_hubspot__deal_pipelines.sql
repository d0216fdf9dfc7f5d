select
    id as pipeline_id,
    label as pipeline_label,
    display_order,
    coalesce(archived, false) as is_archived
from {{ source('raw_hubspot', 'deal_pipelines') }}
