-- Rep x month x KPI over the trailing 3 months ending in the month: the rep's value, team
-- and company medians, percentiles (higher = better, so a shorter sales cycle ranks
-- higher), change vs the previous 3 months, sample size, and up to 3 strengths and 3
-- weaknesses (at or beyond the team's 75th / 25th percentile, when the sample is enough).
{% set kpis = [
    ('bookings', 'Bookings', 'w.bookings', true, 'closed_deals', 0),
    ('quota_attainment', 'Quota attainment', safe_divide('w.bookings', 'w.quota'), true, 'closed_deals', 0),
    ('win_rate', 'Win rate', safe_divide('w.won_deals', 'w.closed_deals'), true, 'closed_deals', 5),
    ('avg_deal_size', 'Average deal size', safe_divide('w.bookings', 'w.won_deals'), true, 'closed_deals', 5),
    ('sales_cycle_days_median', 'Sales cycle (median days)', 'w.sales_cycle_days_median', false, 'closed_deals', 5),
    ('pipeline_coverage', 'Pipeline coverage', safe_divide('w.open_pipeline_start', 'w.quota'), true, 'expected_deals_start', 0),
    ('activities', 'Activities', 'w.activities_total', true, 'activities_total', 0),
    ('lead_conversion_rate', 'Lead conversion rate', safe_divide('w.leads_converted', 'w.leads_created'), true, 'leads_created', 5),
    ('csat_avg', 'Customer satisfaction (CSAT)', safe_divide('w.csat_score_sum', 'w.csat_responses'), true, 'csat_responses', 5),
] %}

with windows as (
    select * from {{ ref('int_rep_scorecard_windows') }}
),

reps as (
    select rep_key, crm_source, owner_id, rep_name, team_key, team_id, team_name from {{ ref('dim_reps') }}
),

long as (
    {%- for kpi, label, expr, higher, sample, min_sample in kpis %}
    select
        w.rep_key,
        w.month_start,
        '{{ kpi }}' as kpi,
        '{{ label }}' as kpi_label,
        {{ loop.index }} as kpi_order,
        {{ 'true' if higher else 'false' }} as higher_is_better,
        cast({{ expr }} as {{ type_double() }}) as value,
        cast(w.{{ sample }} as integer) as sample_size,
        {{ min_sample }} as min_sample_size
    from windows as w
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

with_team as (
    select
        l.*,
        r.team_key,
        case when l.higher_is_better then l.value else -l.value end as goodness
    from long as l
    inner join reps as r on r.rep_key = l.rep_key
),

team_stats as (
    select
        team_key,
        month_start,
        kpi,
        percentile_cont(0.5) within group (order by value) as team_median,
        percentile_cont(0.75) within group (order by value) as team_p75,
        percentile_cont(0.25) within group (order by value) as team_p25
    from with_team
    where value is not null
    group by 1, 2, 3
),

company_stats as (
    select
        month_start,
        kpi,
        percentile_cont(0.5) within group (order by value) as company_median
    from with_team
    where value is not null
    group by 1, 2
),

ranked as (
    select
        rep_key,
        month_start,
        kpi,
        percent_rank() over (partition by team_key, month_start, kpi order by goodness) as team_percentile,
        percent_rank() over (partition by month_start, kpi order by goodness) as company_percentile
    from with_team
    where value is not null
),

judged as (
    select
        t.*,
        s.team_median,
        c.company_median,
        rk.team_percentile,
        rk.company_percentile,
        t.value - p.value as change_vs_previous,
        t.value is not null
            and t.sample_size >= t.min_sample_size
            and s.team_p75 <> s.team_p25
            and case when t.higher_is_better then t.value >= s.team_p75 else t.value <= s.team_p25 end
            as is_strength_candidate,
        t.value is not null
            and t.sample_size >= t.min_sample_size
            and s.team_p75 <> s.team_p25
            and case when t.higher_is_better then t.value <= s.team_p25 else t.value >= s.team_p75 end
            as is_weakness_candidate
    from with_team as t
    left join team_stats as s on s.team_key = t.team_key and s.month_start = t.month_start and s.kpi = t.kpi
    left join company_stats as c on c.month_start = t.month_start and c.kpi = t.kpi
    left join ranked as rk on rk.rep_key = t.rep_key and rk.month_start = t.month_start and rk.kpi = t.kpi
    left join long as p
        on p.rep_key = t.rep_key
        and p.kpi = t.kpi
        and p.month_start = cast({{ dbt.dateadd('month', -3, 't.month_start') }} as date)
),

ordered as (
    select
        *,
        case when is_strength_candidate then cast(row_number() over (
            partition by rep_key, month_start, is_strength_candidate
            order by team_percentile desc, kpi_order
        ) as bigint) end as strength_rank,
        case when is_weakness_candidate then cast(row_number() over (
            partition by rep_key, month_start, is_weakness_candidate
            order by team_percentile, kpi_order
        ) as bigint) end as weakness_rank
    from judged
)

select
    {{ surrogate_key(['o.rep_key', 'o.month_start', 'o.kpi']) }} as scorecard_row_id,
    o.rep_key,
    r.crm_source,
    r.owner_id,
    r.rep_name,
    r.team_id,
    r.team_name,
    o.month_start,
    o.kpi,
    o.kpi_label,
    o.kpi_order,
    o.higher_is_better,
    o.value,
    o.team_median,
    o.company_median,
    o.team_percentile,
    o.company_percentile,
    o.change_vs_previous,
    o.sample_size,
    o.min_sample_size,
    coalesce(o.strength_rank <= 3, false) as is_strength,
    coalesce(o.weakness_rank <= 3, false) as is_weakness,
    case when o.strength_rank <= 3 then o.strength_rank end as strength_rank,
    case when o.weakness_rank <= 3 then o.weakness_rank end as weakness_rank
from ordered as o
inner join reps as r on r.rep_key = o.rep_key
