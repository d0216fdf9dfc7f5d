-- Revenue quotas with the fiscal period each covers (its first and last day).
select
    q.crm_source,
    q.id as quota_id,
    q.quota_owner_id as owner_id,
    cast(q.quota_amount as decimal(28, 6)) as quota_amount,
    {{ salesforce_currency('forecasting_quota', 'q') }} as currency_code,
    coalesce(q.is_amount, false) as is_amount,
    q.start_date,
    p.type as period_type,
    p.end_date
from {{ crm_raw('salesforce', 'forecasting_quota') }} as q
left join {{ crm_raw('salesforce', 'period') }} as p
    on p.crm_source = q.crm_source and p.id = q.period_id
