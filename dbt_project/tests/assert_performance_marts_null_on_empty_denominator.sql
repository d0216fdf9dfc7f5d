-- docs/METRICS.md: empty denominators give NULL, never 0, everywhere; and a non-empty denominator gives a
-- value. Checked for every rate of kpi_formulas in the rep, team and company marts (the same rule in all
-- three, so a rate is never 0 in one model and NULL in another). sales_velocity_per_day is left out: its
-- trailing-12-month denominators are not columns of the marts (its unit test covers it).
-- Returns one row per offending mart row and rate.
{% set checks = [
    ('win_rate', 'won_deals + lost_deals = 0'),
    ('win_rate_by_value', 'bookings + lost_amount = 0'),
    ('avg_deal_size', 'won_deals = 0'),
    ('quota_attainment', 'coalesce(quota, 0) = 0'),
    ('pipeline_coverage', 'coalesce(quota, 0) = 0'),
    ('forecast_accuracy', 'bookings = 0'),
    ('forecast_bias', 'bookings = 0'),
    ('slippage_rate', 'expected_deals_start = 0'),
    ('activities_per_won_deal', 'won_deals = 0'),
    ('lead_conversion_rate', 'leads_created = 0'),
    ('csat_avg', 'csat_responses = 0'),
    ('nps', 'nps_responses = 0'),
] %}
{% set marts = [
    ('mart_rep_performance_monthly', 'rep_month_id'),
    ('mart_team_performance_monthly', 'team_month_id'),
    ('mart_company_performance_monthly', 'cast(month_start as ' ~ dbt.type_string() ~ ')'),
] %}

{% for mart, key in marts %}
{% for rate, empty in checks %}
select '{{ mart }}' as mart, {{ key }} as row_key, '{{ rate }}' as rate
from {{ ref(mart) }}
where ({{ empty }}) <> ({{ rate }} is null)
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
