select
    crm_source,
    pipeline_id,
    id as stage_id,
    label as stage_label,
    display_order,
    {{ parse_number('metadata__probability') }} as probability,
    lower(metadata__is_closed) = 'true' as is_closed,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'deal_pipelines__stages') }}
