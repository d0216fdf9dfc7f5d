{#- The KPI layer, one definition for every grain (docs/METRICS.md).

    month_totals(grain): counts, sums and medians per <grain> x reporting month, where
    grain is 'rep' (rep_key), 'team' (team_key of the rep's primary team) or 'company'
    (every CRM connection together). Facts join their rep by crm_source and owner_id
    (int_rep_identities: a person may have an identity in several connections).
    Medians and means are taken over the grain's own deals and leads, never averaged.

    kpi_formulas(t): the rates, computed from a month_totals relation aliased t.
    Empty denominators give NULL (safe_divide). -#}

{% macro grain_key(grain) -%}
    {{ return({'rep': 'r.rep_key', 'team': 'r.team_key', 'company': "'company'"}[grain]) }}
{%- endmacro %}

{% macro month_totals(grain) -%}
{%- set key = grain_key(grain) -%}
with reps as (
    -- every identity (crm_source, owner_id) of a rep, with the person's rep_key and team
    select i.crm_source, i.owner_id, i.rep_key, d.team_id, d.team_key
    from {{ ref('int_rep_identities') }} as i
    inner join {{ ref('dim_reps') }} as d on d.rep_key = i.rep_key
),

months as (
    select month_start from {{ ref('int_reporting_months') }}
),

groups_ as (
    select distinct {{ key }} as group_id
    from reps as r
    {%- if grain == 'team' %}
    where r.team_id is not null
    {%- endif %}
),

spine as (
    select g.group_id, m.month_start
    from groups_ as g
    cross join months as m
),

deals as (
    select
        {{ key }} as group_id,
        d.closed_month as month_start,
        d.is_won,
        d.is_lost,
        d.amount_home,
        d.days_to_close
    from {{ ref('fct_deals') }} as d
    inner join reps as r on r.crm_source = d.crm_source and r.owner_id = d.owner_id
    where d.is_closed
),

deal_totals as (
    select
        group_id,
        month_start,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_lost then 1 else 0 end) as lost_deals,
        sum(case when is_won then amount_home else 0 end) as bookings,
        sum(case when is_lost then amount_home else 0 end) as lost_amount,
        cast(percentile_cont(0.5) within group (order by case when is_won then days_to_close end)
            as decimal(18, 9)) as sales_cycle_days_median,
        cast(avg(case when is_won then days_to_close end) as {{ type_double() }}) as sales_cycle_days_mean
    from deals
    group by group_id, month_start
),

trailing_12m as (
    select
        s.group_id,
        s.month_start,
        sum(case when d.is_won then 1 else 0 end) as won_deals_12m,
        sum(case when d.is_lost then 1 else 0 end) as lost_deals_12m,
        sum(case when d.is_won then d.amount_home else 0 end) as bookings_12m,
        cast(avg(case when d.is_won then d.days_to_close end) as {{ type_double() }})
            as sales_cycle_days_mean_12m
    from spine as s
    inner join deals as d
        on d.group_id = s.group_id
        and d.month_start > {{ dbt.dateadd('month', -12, 's.month_start') }}
        and d.month_start <= s.month_start
    group by s.group_id, s.month_start
),

pipeline as (
    select
        {{ key }} as group_id,
        p.month_start,
        sum(case when p.is_expected_in_month then p.amount_home else 0 end) as open_pipeline_start,
        -- a probability has 6 decimals: as decimal(9, 6) the product keeps all 12 on every
        -- engine (Spark drops decimals past 38 digits of precision)
        sum(case when p.is_expected_in_month then p.amount_home * cast(p.stage_probability as decimal(9, 6)) else 0 end)
            as weighted_pipeline_start,
        sum(case when p.is_expected_in_month then 1 else 0 end) as expected_deals_start,
        sum(case when p.is_expected_in_month and p.is_open_at_period_end then 1 else 0 end)
            as slipped_deals,
        sum(case when p.is_qualified then 1 else 0 end) as open_qualified_deals_start
    from {{ ref('int_deal_pipeline_monthly') }} as p
    inner join reps as r on r.crm_source = p.crm_source and r.owner_id = p.owner_id
    group by 1, 2
),

activities as (
    select
        {{ key }} as group_id,
        a.activity_month as month_start,
        sum(case when a.activity_type = 'call' then 1 else 0 end) as calls,
        sum(case when a.is_connected_call then 1 else 0 end) as connected_calls,
        sum(case when a.activity_type = 'email' then 1 else 0 end) as emails,
        sum(case when a.activity_type = 'meeting' then 1 else 0 end) as meetings,
        sum(case when a.activity_type = 'task' and a.is_completed then 1 else 0 end) as tasks_completed
    from {{ ref('fct_activities') }} as a
    inner join reps as r on r.crm_source = a.crm_source and r.owner_id = a.owner_id
    group by 1, 2
),

leads as (
    select
        {{ key }} as group_id,
        l.created_month as month_start,
        count(*) as leads_created,
        sum(case when l.is_converted then 1 else 0 end) as leads_converted,
        cast(percentile_cont(0.5) within group (order by l.days_to_convert) as decimal(18, 9))
            as days_to_convert_median
    from {{ ref('fct_leads') }} as l
    inner join reps as r on r.crm_source = l.crm_source and r.owner_id = l.owner_id
    group by 1, 2
),

feedback as (
    select
        {{ key }} as group_id,
        f.submitted_month as month_start,
        sum(case when f.survey_type = 'CSAT' then 1 else 0 end) as csat_responses,
        sum(case when f.survey_type = 'CSAT' then f.score else 0 end) as csat_score_sum,
        sum(case when f.survey_type = 'NPS' then 1 else 0 end) as nps_responses,
        sum(case when f.is_promoter then 1 else 0 end) as nps_promoters,
        sum(case when f.is_detractor then 1 else 0 end) as nps_detractors
    from {{ ref('fct_feedback') }} as f
    inner join reps as r on r.crm_source = f.crm_source and r.owner_id = f.owner_id
    group by 1, 2
),

quotas as (
    select {{ key }} as group_id, q.month_start, sum(q.quota) as quota
    from {{ ref('int_quotas_spread_monthly') }} as q
    inner join reps as r on r.crm_source = q.crm_source and r.owner_id = q.owner_id
    group by 1, 2
)

select
    s.group_id,
    s.month_start,
    {%- for col in ['won_deals', 'lost_deals'] %}
    cast(coalesce(d.{{ col }}, 0) as integer) as {{ col }},
    {%- endfor %}
    coalesce(d.bookings, 0) as bookings,
    coalesce(d.lost_amount, 0) as lost_amount,
    d.sales_cycle_days_median,
    d.sales_cycle_days_mean,
    q.quota,
    coalesce(p.open_pipeline_start, 0) as open_pipeline_start,
    coalesce(p.weighted_pipeline_start, 0) as weighted_pipeline_start,
    {%- for col in ['expected_deals_start', 'slipped_deals', 'open_qualified_deals_start'] %}
    cast(coalesce(p.{{ col }}, 0) as integer) as {{ col }},
    {%- endfor %}
    cast(coalesce(t.won_deals_12m, 0) as integer) as won_deals_12m,
    cast(coalesce(t.lost_deals_12m, 0) as integer) as lost_deals_12m,
    coalesce(t.bookings_12m, 0) as bookings_12m,
    t.sales_cycle_days_mean_12m,
    {%- for col in ['calls', 'connected_calls', 'emails', 'meetings', 'tasks_completed'] %}
    cast(coalesce(a.{{ col }}, 0) as integer) as {{ col }},
    {%- endfor %}
    cast(coalesce(l.leads_created, 0) as integer) as leads_created,
    cast(coalesce(l.leads_converted, 0) as integer) as leads_converted,
    l.days_to_convert_median,
    cast(coalesce(f.csat_responses, 0) as integer) as csat_responses,
    coalesce(f.csat_score_sum, 0) as csat_score_sum,
    {%- for col in ['nps_responses', 'nps_promoters', 'nps_detractors'] %}
    cast(coalesce(f.{{ col }}, 0) as integer) as {{ col }}{{ "," if not loop.last }}
    {%- endfor %}
from spine as s
left join deal_totals as d on d.group_id = s.group_id and d.month_start = s.month_start
left join trailing_12m as t on t.group_id = s.group_id and t.month_start = s.month_start
left join pipeline as p on p.group_id = s.group_id and p.month_start = s.month_start
left join activities as a on a.group_id = s.group_id and a.month_start = s.month_start
left join leads as l on l.group_id = s.group_id and l.month_start = s.month_start
left join feedback as f on f.group_id = s.group_id and f.month_start = s.month_start
left join quotas as q on q.group_id = s.group_id and q.month_start = s.month_start
{%- endmacro %}


{% macro kpi_formulas(t) -%}
    {{ t }}.won_deals,
    {{ t }}.lost_deals,
    {{ safe_divide(t ~ '.won_deals', t ~ '.won_deals + ' ~ t ~ '.lost_deals') }} as win_rate,
    {{ safe_divide(t ~ '.bookings', t ~ '.bookings + ' ~ t ~ '.lost_amount') }} as win_rate_by_value,
    {{ t }}.bookings,
    {{ t }}.lost_amount,
    {{ safe_divide(t ~ '.bookings', t ~ '.won_deals') }} as avg_deal_size,
    {{ t }}.sales_cycle_days_median,
    {{ t }}.sales_cycle_days_mean,
    {{ t }}.quota,
    {{ safe_divide(t ~ '.bookings', t ~ '.quota') }} as quota_attainment,
    {{ t }}.open_pipeline_start,
    {{ t }}.weighted_pipeline_start,
    {{ t }}.expected_deals_start,
    {{ safe_divide(t ~ '.open_pipeline_start', t ~ '.quota') }} as pipeline_coverage,
    1 - {{ safe_divide('abs(' ~ t ~ '.weighted_pipeline_start - ' ~ t ~ '.bookings)', t ~ '.bookings') }}
        as forecast_accuracy,
    {{ safe_divide(t ~ '.weighted_pipeline_start - ' ~ t ~ '.bookings', t ~ '.bookings') }} as forecast_bias,
    {{ t }}.slipped_deals,
    {{ safe_divide(t ~ '.slipped_deals', t ~ '.expected_deals_start') }} as slippage_rate,
    {{ t }}.open_qualified_deals_start,
    {{ safe_divide(
        t ~ '.open_qualified_deals_start * '
        ~ safe_divide(t ~ '.won_deals_12m', t ~ '.won_deals_12m + ' ~ t ~ '.lost_deals_12m') ~ ' * '
        ~ safe_divide(t ~ '.bookings_12m', t ~ '.won_deals_12m'),
        t ~ '.sales_cycle_days_mean_12m'
    ) }} as sales_velocity_per_day,
    {{ t }}.calls,
    {{ t }}.connected_calls,
    {{ t }}.emails,
    {{ t }}.meetings,
    {{ t }}.tasks_completed,
    {{ t }}.calls + {{ t }}.emails + {{ t }}.meetings + {{ t }}.tasks_completed as activities_total,
    {{ safe_divide(t ~ '.calls + ' ~ t ~ '.emails + ' ~ t ~ '.meetings + ' ~ t ~ '.tasks_completed', t ~ '.won_deals') }}
        as activities_per_won_deal,
    {{ t }}.leads_created,
    {{ t }}.leads_converted,
    {{ safe_divide(t ~ '.leads_converted', t ~ '.leads_created') }} as lead_conversion_rate,
    {{ t }}.days_to_convert_median,
    {{ t }}.csat_responses,
    {{ safe_divide(t ~ '.csat_score_sum', t ~ '.csat_responses') }} as csat_avg,
    {{ t }}.nps_responses,
    100 * {{ safe_divide(t ~ '.nps_promoters - ' ~ t ~ '.nps_detractors', t ~ '.nps_responses') }} as nps
{%- endmacro %}
