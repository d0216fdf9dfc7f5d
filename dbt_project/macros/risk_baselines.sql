{#- The usual durations (int_risk_baselines) a deal risk evaluation compares with, as left
    joins on `alias` (crm_source, owner_id, pipeline_id, stage_id) for the month `month`:
    rq (the owner's quiet stretch, with enough won deals), cq (the company's), sb (the
    stage's). usual quiet days: coalesce(rq.usual_days, cq.usual_days); stage: sb.usual_days. -#}
{% macro usual_days_joins(alias, month) -%}
    left join {{ ref('int_risk_baselines') }} as rq
        on rq.baseline = 'quiet' and rq.month_start = {{ month }}
        and rq.crm_source = {{ alias }}.crm_source and rq.owner_id = {{ alias }}.owner_id
        and rq.sample_size >= {{ var('risk_min_won_deals') }}
    left join {{ ref('int_risk_baselines') }} as cq
        on cq.baseline = 'quiet' and cq.month_start = {{ month }} and cq.owner_id is null
    left join {{ ref('int_risk_baselines') }} as sb
        on sb.baseline = 'stage' and sb.month_start = {{ month }}
        and sb.crm_source = {{ alias }}.crm_source and sb.pipeline_id = {{ alias }}.pipeline_id
        and sb.stage_id = {{ alias }}.stage_id
{%- endmacro %}
