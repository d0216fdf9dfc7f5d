-- METRICS.md: empty denominators give NULL, never 0, and a non-empty denominator gives a value.
select *
from {{ ref('mart_rep_performance_monthly') }}
where (won_deals + lost_deals = 0) <> (win_rate is null)
   or (won_deals = 0) <> (avg_deal_size is null)
   or (coalesce(quota, 0) = 0) <> (quota_attainment is null)
