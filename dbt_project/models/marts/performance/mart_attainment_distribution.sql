-- How quota attainment is spread across a team's reps (docs/METRICS.md, "Attainment
-- distribution"): per team and company x month and fiscal quarter, of the reps with a quota
-- in the period, how many ended under 50 %, at 50-100 % and at 100 % or more, and the
-- quartiles. A rep's attainment over a quarter is the quarter's bookings / its quota.
with rep_months as (
    select p.rep_key, r.team_key, r.team_id, p.month_start, p.bookings, p.quota, d.fiscal_quarter_start
    from {{ ref('mart_rep_performance_monthly') }} as p
    inner join {{ ref('dim_date') }} as d on d.date_day = p.month_start
    left join {{ ref('dim_reps') }} as r on r.rep_key = p.rep_key
),

rep_periods as (
    select rep_key, team_key, team_id, 'month' as period_type, month_start as period_start, bookings, quota
    from rep_months
    union all
    select rep_key, team_key, team_id, 'quarter', fiscal_quarter_start, sum(bookings), sum(quota)
    from rep_months
    group by rep_key, team_key, team_id, fiscal_quarter_start
),

attainment as (
    select
        *,
        {{ safe_divide('bookings', 'quota') }} as quota_attainment
    from rep_periods
),

{%- set levels = {'team': 'team_key', 'company': "'company'"} %}
grouped as (
    {%- for level, key in levels.items() %}
    select
        '{{ level }}' as aggregation_level,
        {{ key }} as group_id,
        period_type,
        period_start,
        count(quota_attainment) as reps_with_quota,
        sum(case when quota_attainment < 0.5 then 1 else 0 end) as reps_under_50pct,
        sum(case when quota_attainment >= 0.5 and quota_attainment < 1 then 1 else 0 end) as reps_50_to_100pct,
        sum(case when quota_attainment >= 1 then 1 else 0 end) as reps_100pct_or_more,
        percentile_cont(0.25) within group (order by quota_attainment) as attainment_p25,
        percentile_cont(0.5) within group (order by quota_attainment) as attainment_median,
        percentile_cont(0.75) within group (order by quota_attainment) as attainment_p75
    from attainment
    {%- if level == 'team' %}
    where team_id is not null
    {%- endif %}
    group by {{ key }}, period_type, period_start
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select
    {{ surrogate_key(['g.aggregation_level', 'g.group_id', 'g.period_type', 'g.period_start']) }}
        as distribution_id,
    g.aggregation_level,
    g.period_type,
    g.period_start,
    t.crm_source,
    t.team_key,
    t.team_id,
    t.team_name,
    cast(g.reps_with_quota as integer) as reps_with_quota,
    cast(g.reps_under_50pct as integer) as reps_under_50pct,
    cast(g.reps_50_to_100pct as integer) as reps_50_to_100pct,
    cast(g.reps_100pct_or_more as integer) as reps_100pct_or_more,
    {{ safe_divide('g.reps_under_50pct', 'g.reps_with_quota') }} as share_under_50pct,
    {{ safe_divide('g.reps_50_to_100pct', 'g.reps_with_quota') }} as share_50_to_100pct,
    {{ safe_divide('g.reps_100pct_or_more', 'g.reps_with_quota') }} as share_100pct_or_more,
    g.attainment_p25,
    g.attainment_median,
    g.attainment_p75
from grouped as g
left join {{ ref('dim_teams') }} as t on g.aggregation_level = 'team' and t.team_key = g.group_id
