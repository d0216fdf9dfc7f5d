select
    crm_source,
    id as opportunity_stage_id,
    -- Opportunity.StageName holds the stage's label (MasterLabel)
    master_label as stage_name,
    api_name,
    cast(sort_order as {{ dbt.type_bigint() }}) as sort_order,
    cast(default_probability / 100 as decimal(28, 6)) as probability,
    forecast_category_name,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_won, false) as is_won,
    coalesce(is_active, false) as is_active
from {{ crm_raw('salesforce', 'opportunity_stage') }}
