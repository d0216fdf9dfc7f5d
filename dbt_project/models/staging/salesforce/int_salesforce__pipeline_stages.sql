-- Salesforce adapter: the org's one list of opportunity stages, as pipeline `default`.
-- Won and lost come from the stage's own flags (IsClosed, IsWon), not from its probability.
select
    crm_source,
    'default' as pipeline_id,
    'Opportunities' as pipeline_label,
    api_name as stage_id,
    stage_name as stage_label,
    sort_order as stage_order,
    probability,
    is_closed,
    is_closed and is_won as is_won,
    is_closed and not is_won as is_lost,
    not is_active as is_archived
from {{ ref('stg_salesforce__opportunity_stages') }}
