-- KPI values of the rep, team and company marts stay in their valid ranges:
-- rates win_rate, win_rate_by_value, slippage_rate, lead_conversion_rate in [0, 1];
-- nps in [-100, 100]; csat_avg in [1, 5] (HubSpot CSAT scale); forecast_accuracy <= 1;
-- quota_attainment, pipeline_coverage, avg_deal_size, sales_velocity_per_day,
-- activities_per_won_deal, sales cycles and every count and amount >= 0; parts never exceed their whole
-- (slipped <= expected, converted <= created, connected calls <= calls, promoters and detractors
-- within responses is covered by nps's range). Returns the offending rows.
{% set marts = [
    ('mart_rep_performance_monthly', 'rep_month_id'),
    ('mart_team_performance_monthly', 'team_month_id'),
    ('mart_company_performance_monthly', 'cast(month_start as ' ~ dbt.type_string() ~ ')'),
] %}

{% for mart, key in marts %}
select
    '{{ mart }}' as mart, {{ key }} as row_key, month_start,
    win_rate, win_rate_by_value, slippage_rate, lead_conversion_rate, nps, csat_avg, forecast_accuracy
from {{ ref(mart) }}
where win_rate not between 0 and 1
   or win_rate_by_value not between 0 and 1
   or slippage_rate not between 0 and 1
   or lead_conversion_rate not between 0 and 1
   or nps not between -100 and 100
   or csat_avg not between 1 and 5
   or forecast_accuracy > 1
   or quota_attainment < 0
   or pipeline_coverage < 0
   or avg_deal_size < 0
   or sales_velocity_per_day < 0
   or activities_per_won_deal < 0
   or sales_cycle_days_median < 0
   or sales_cycle_days_mean < 0
   or quota < 0
   or bookings < 0 or lost_amount < 0
   or open_pipeline_start < 0 or weighted_pipeline_start < 0
   or weighted_pipeline_start > open_pipeline_start
   or won_deals < 0 or lost_deals < 0
   or expected_deals_start < 0 or slipped_deals < 0 or slipped_deals > expected_deals_start
   or open_qualified_deals_start < 0
   or calls < 0 or connected_calls < 0 or connected_calls > calls
   or emails < 0 or meetings < 0 or tasks_completed < 0
   or activities_total <> calls + emails + meetings + tasks_completed
   or leads_created < 0 or leads_converted < 0 or leads_converted > leads_created
   or csat_responses < 0 or nps_responses < 0
{% if not loop.last %}union all{% endif %}
{% endfor %}
