-- One row per change of an opportunity's stage, amount, close date, probability or forecast
-- category, with the values after the change.
select
    crm_source,
    id as opportunity_history_id,
    opportunity_id,
    stage_name,
    cast(amount as decimal(28, 6)) as amount,
    {{ salesforce_currency('opportunity_history') }} as currency_code,
    close_date,
    forecast_category,
    coalesce(is_deleted, false) as is_deleted,
    created_date as changed_at
from {{ crm_raw('salesforce', 'opportunity_history') }}
