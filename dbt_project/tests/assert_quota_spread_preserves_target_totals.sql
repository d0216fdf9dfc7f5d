-- Spreading quotas over months must neither create nor lose quota: per rep, the monthly
-- quotas of int_quotas_spread_monthly add up to the quotas the CRM connections hold for them
-- (int_crm__quotas).
with targets as (
    select crm_source, owner_id, sum(quota_amount) as target_total
    from {{ ref('int_crm__quotas') }}
    group by 1, 2
),

spread as (
    select crm_source, owner_id, sum(quota) as quota_total
    from {{ ref('int_quotas_spread_monthly') }}
    group by 1, 2
)

select
    coalesce(t.crm_source, s.crm_source) as crm_source,
    coalesce(t.owner_id, s.owner_id) as owner_id,
    t.target_total,
    s.quota_total
from targets as t
full outer join spread as s on s.crm_source = t.crm_source and s.owner_id = t.owner_id
where t.owner_id is null
   or s.owner_id is null
   or abs(t.target_total - s.quota_total) > 0.01
