{{
    config(
        materialized='incremental',
        unique_key='forecast_call_id',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        post_hook="{% set c %}not exists (select 1 from {{ period_weeks() }} as w where w.period_type = t.period_type and w.period_start = t.period_start and w.week_number = t.week_number) or (t.aggregation_level = 'rep' and t.rep_key not in (select rep_key from {{ ref('dim_reps') }})) or (t.aggregation_level = 'team' and t.team_key not in (select team_key from {{ ref('dim_reps') }} where team_id is not null)){% endset %}{{ delete_rows(this, c) }}",
    )
}}
-- Forecast calls (docs/METRICS.md, "Forecast calls"): per rep, team and company x month and
-- fiscal quarter x week of the period, the period's pipeline (deals open and expected to close
-- in it) by the forecast category their owner had called at 00:00 on that week's first day,
-- beside what the period booked: how good each rep's commit was, week by week.
-- Incremental: every row is worked out each run, but only the rows that differ from those
-- here are written (mostly the running periods'); rows of weeks, reps or teams no longer
-- there are removed.
{%- set categories = ['commit', 'best_case', 'pipeline', 'omitted'] %}
{% call only_rows_that_differ() %}
with reps as (
    select * from {{ rep_identities() }} as r
),

periods as (
    select * from {{ ref('int_reporting_periods') }}
),

snapshots as (
    select w.*, w.period_end_date = w.next_period_start as is_period_over
    from {{ period_weeks() }} as w
),

-- the calls summed by period, week, owner, category and outcome first: a few rows per owner
-- and week to credit, not one per deal
called as (
    select
        c.period_type,
        c.period_start,
        c.week_number,
        c.crm_source,
        c.owner_id,
        c.category,
        -- won in the period (its close in it), as the CRM holds it now
        coalesce(d.is_won and d.closed_at < p.next_period_start_at, false) as is_won_in_period,
        count(*) as deals,
        sum(c.amount_home) as amount_home
    from {{ ref('int_deal_forecast_calls') }} as c
    inner join periods as p on p.period_type = c.period_type and p.period_start = c.period_start
    left join {{ ref('fct_deals') }} as d
        on d.deal_key = c.deal_key and d.closed_at >= p.period_start_at
    group by 1, 2, 3, 4, 5, 6, 7
),

booked as (
    select p.period_type, p.period_start, d.crm_source, d.owner_id, d.amount_home
    from {{ ref('fct_deals') }} as d
    inner join periods as p
        on d.closed_at >= p.period_start_at and d.closed_at < p.next_period_start_at
    where d.is_won
),
{% for grain in rep_grains() %}

{{ grain }}_calls as (
    select
        {{ rep_group_key(grain, 'r') }} as group_id,
        c.period_type,
        c.period_start,
        c.week_number
        {%- for category in categories %},
        sum(case when c.category = '{{ category }}' then c.deals else 0 end) as {{ category }}_deals,
        sum(case when c.category = '{{ category }}' then c.amount_home else 0 end) as {{ category }}_amount
        {%- endfor %},
        sum(case when c.category = 'commit' and c.is_won_in_period then c.amount_home else 0 end)
            as commit_won_amount,
        sum(case when c.is_won_in_period then c.amount_home else 0 end) as called_won_amount
    from called as c
    inner join reps as r on r.crm_source = c.crm_source and r.owner_id = c.owner_id
    group by 1, 2, 3, 4
),

{{ grain }}_bookings as (
    select
        {{ rep_group_key(grain, 'r') }} as group_id,
        b.period_type,
        b.period_start,
        count(*) as won_deals,
        sum(b.amount_home) as bookings
    from booked as b
    inner join reps as r on r.crm_source = b.crm_source and r.owner_id = b.owner_id
    group by 1, 2, 3
),

{{ grain }}_rows as (
    select
        '{{ grain }}' as aggregation_level,
        g.group_id,
        s.period_type,
        s.period_start,
        s.period_end_date,
        s.is_period_over,
        s.week_number,
        s.week_start
        {%- for category in categories %},
        coalesce(c.{{ category }}_deals, 0) as {{ category }}_deals,
        coalesce(c.{{ category }}_amount, 0) as {{ category }}_amount
        {%- endfor %},
        coalesce(c.commit_won_amount, 0) as commit_won_amount,
        coalesce(c.called_won_amount, 0) as called_won_amount,
        coalesce(b.won_deals, 0) as won_deals,
        coalesce(b.bookings, 0) as bookings
    from (
        select distinct {{ rep_group_key(grain, 'r') }} as group_id from reps as r
    ) as g
    cross join snapshots as s
    left join {{ grain }}_calls as c
        on c.group_id = g.group_id and c.period_type = s.period_type
        and c.period_start = s.period_start and c.week_number = s.week_number
    left join {{ grain }}_bookings as b
        on b.group_id = g.group_id and b.period_type = s.period_type and b.period_start = s.period_start
    where g.group_id is not null
),
{% endfor %}

all_rows as (
    {{- grain_rows_union('rows') }}
)

select
    {{ surrogate_key(['w.aggregation_level', 'w.group_id', 'w.period_type', 'w.period_start', 'w.week_number']) }}
        as forecast_call_id,
    w.aggregation_level,
    w.period_type,
    w.period_start,
    w.period_end_date,
    w.is_period_over,
    w.week_number,
    w.week_start,
    {{ rep_group_columns('w') }}
    {%- for category in categories %},
    cast(w.{{ category }}_deals as integer) as {{ category }}_deals,
    w.{{ category }}_amount
    {%- endfor %},
    w.commit_amount + w.best_case_amount as best_case_call_amount,
    cast(w.won_deals as integer) as won_deals,
    w.bookings,
    1 - {{ safe_divide('abs(w.commit_amount - w.bookings)', 'w.bookings') }} as commit_accuracy,
    {{ safe_divide('w.commit_amount - w.bookings', 'w.bookings') }} as commit_bias,
    w.commit_won_amount,
    w.called_won_amount,
    {{ safe_divide('w.commit_won_amount', 'w.commit_amount') }} as commit_hit_rate,
    {{ safe_divide('w.commit_won_amount', 'w.called_won_amount') }} as commit_capture_rate
from all_rows as w
{{ rep_group_joins('w') }}
{% endcall %}
