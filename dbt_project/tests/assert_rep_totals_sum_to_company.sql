-- The company row of each month is the sum of the rep rows, for every additive column (counts and
-- amounts); money within a small tolerance. Returns the months and columns that do not reconcile.
{% set additive = ['won_deals', 'lost_deals', 'bookings', 'lost_amount', 'quota', 'open_pipeline_start',
                   'weighted_pipeline_start', 'expected_deals_start', 'slipped_deals',
                   'open_qualified_deals_start', 'calls', 'connected_calls', 'emails', 'meetings',
                   'tasks_completed', 'leads_created', 'leads_converted', 'csat_responses', 'nps_responses'] %}
with reps as (
    select
        month_start,
        {%- for col in additive %}
        sum({{ col }}) as {{ col }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('mart_rep_performance_monthly') }}
    group by 1
)

{% for col in additive %}
select c.month_start, '{{ col }}' as column_name, c.{{ col }} as company_value, r.{{ col }} as rep_sum
from {{ ref('mart_company_performance_monthly') }} as c
left join reps as r on r.month_start = c.month_start
where r.month_start is null
   or (c.{{ col }} is null) <> (r.{{ col }} is null)
   or abs(c.{{ col }} - r.{{ col }}) > 0.01
{% if not loop.last %}union all{% endif %}
{% endfor %}
