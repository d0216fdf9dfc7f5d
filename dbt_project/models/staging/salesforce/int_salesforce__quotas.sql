-- Salesforce adapter: revenue quotas (ForecastingQuota with IsAmount), each over its fiscal
-- period (a month when the quota names none), in the home currency.
select
    crm_source,
    quota_id,
    owner_id,
    {{ salesforce_to_home('q.quota_amount', 'q.currency_code', 'q.start_date', 'q.crm_source') }} as quota_amount,
    {{ local_day_start('start_date') }} as starts_at,
    {{ local_day_start("coalesce(end_date, cast(start_date + interval 1 month - interval 1 day as date))") }} as ends_at
from {{ ref('stg_salesforce__forecasting_quotas') }} as q
where q.is_amount
    and not exists (
        select 1 from {{ ref('quarantine_forecasting_quota') }} as x
        where x.crm_source = q.crm_source and x.loaded_id = q.quota_id
    )
