-- One row per rep x month: the scorecard values side by side with the strengths and
-- weaknesses in words, for reading (and for the rep's feedback page).
{% set kpis = ['bookings', 'quota_attainment', 'win_rate', 'avg_deal_size', 'sales_cycle_days_median',
               'pipeline_coverage', 'activities', 'lead_conversion_rate', 'csat_avg'] %}
with scorecard as (
    select * from {{ ref('mart_rep_scorecard') }}
)

select
    {{ surrogate_key(['rep_key', 'month_start']) }} as rep_month_id,
    rep_key,
    max(crm_source) as crm_source,
    max(owner_id) as owner_id,
    max(rep_name) as rep_name,
    max(team_id) as team_id,
    max(team_name) as team_name,
    month_start,
    {%- for kpi in kpis %}
    max(case when kpi = '{{ kpi }}' then value end) as {{ kpi }},
    max(case when kpi = '{{ kpi }}' then team_median end) as {{ kpi }}_team_median,
    {%- endfor %}
    coalesce(
        {{ dbt.listagg("case when is_strength then kpi_label end", "', '", "order by strength_rank") }},
        ''
    ) as strengths,
    coalesce(
        {{ dbt.listagg("case when is_weakness then kpi_label end", "', '", "order by weakness_rank") }},
        ''
    ) as weaknesses
from scorecard
group by rep_key, month_start
