select
    crm_source,
    id as pipeline_id,
    label as pipeline_label,
    display_order,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'deal_pipelines') }}
