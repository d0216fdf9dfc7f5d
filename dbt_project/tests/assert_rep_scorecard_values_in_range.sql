-- Scorecard values stay in range: percentiles in [0, 1]; rates (win_rate, lead_conversion_rate) in [0, 1];
-- csat_avg in [1, 5]; bookings, activities, quota_attainment, pipeline_coverage, avg_deal_size and the
-- sales cycle >= 0; exactly the 9 KPIs per rep x month. Returns the offending rows.
select rep_key, month_start, kpi, value, team_percentile, company_percentile, 'value out of range' as problem
from {{ ref('mart_rep_scorecard') }}
where team_percentile not between 0 and 1
   or company_percentile not between 0 and 1
   or (kpi in ('win_rate', 'lead_conversion_rate') and value not between 0 and 1)
   or (kpi = 'csat_avg' and value not between 1 and 5)
   or (kpi not in ('win_rate', 'lead_conversion_rate', 'csat_avg') and value < 0)
union all
select rep_key, month_start, null, null, null, null, 'not 9 KPIs' as problem
from {{ ref('mart_rep_scorecard') }}
group by rep_key, month_start
having count(distinct kpi) <> 9 or count(*) <> 9
