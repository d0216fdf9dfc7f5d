select
    crm_source,
    id as opportunity_id,
    name as opportunity_name,
    account_id,
    stage_name,
    cast(amount as decimal(28, 6)) as amount,
    {{ salesforce_currency('opportunity') }} as currency_code,
    close_date,
    forecast_category_name,
    owner_id,
    coalesce(is_deleted, false) as is_deleted,
    created_date as created_at,
    system_modstamp as updated_at
from {{ crm_raw('salesforce', 'opportunity') }}
