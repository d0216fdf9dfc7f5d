-- What "usual" means for the deal risk signals (docs/METRICS.md, "Deal risk"), per reporting
-- month, from the deals won in the var risk_baseline_months months before the month starts
-- (so a month's risk reads only what was known before it):
--   baseline 'quiet': per rep (crm_source, owner_id; the owner at the close) and for the
--   company (owner_id NULL), the median of the won deals' longest stretch without an activity
--   between creation and close (days), and how many won deals it is taken over;
--   baseline 'stage': per pipeline stage, the var risk_stage_days_percentile of the days won
--   deals stayed in it (sample_size: won deals for 'quiet', their stays for 'stage').
with months as (
    select month_start, month_start_at from {{ ref('int_reporting_months') }}
),

won as (
    select crm_source, deal_id, pipeline_id, owner_id, created_at, closed_at
    from {{ ref('fct_deals') }}
    where is_won
),

-- creation, every activity on the deal in between, and the close
moments as (
    select crm_source, deal_id, created_at as moment_at from won
    union all
    select crm_source, deal_id, closed_at from won
    union all
    select a.crm_source, a.deal_id, a.occurred_at
    from {{ ref('fct_activities') }} as a
    inner join won as w on w.crm_source = a.crm_source and w.deal_id = a.deal_id
    where a.occurred_at > w.created_at and a.occurred_at < w.closed_at
),

gaps as (
    select
        crm_source,
        deal_id,
        {{ days_between('lag(moment_at) over (partition by crm_source, deal_id order by moment_at)', 'moment_at') }} as gap_days
    from moments
),

quiet as (
    select crm_source, deal_id, max(gap_days) as quiet_days
    from gaps
    group by crm_source, deal_id
),

-- each month's won deals to learn from: closed in the months before it
learned_from as (
    select m.month_start, w.crm_source, w.deal_id, w.owner_id
    from months as m
    inner join won as w
        on w.closed_at < m.month_start_at
        and w.closed_at >= {{ local_day_start(dbt.dateadd('month', -1 * var('risk_baseline_months'), 'm.month_start')) }}
),

windows as (
    select l.month_start, l.crm_source, l.owner_id, q.quiet_days
    from learned_from as l
    inner join quiet as q on q.crm_source = l.crm_source and q.deal_id = l.deal_id
),

stays as (
    select l.month_start, s.crm_source, s.pipeline_id, s.stage_id, s.days_in_stage
    from learned_from as l
    inner join {{ ref('int_deal_stage_stays') }} as s
        on s.crm_source = l.crm_source and s.deal_id = l.deal_id
    where not s.is_closed_stage and s.left_at is not null
)

select
    month_start,
    'quiet' as baseline,
    crm_source,
    owner_id,
    cast(null as {{ dbt.type_string() }}) as pipeline_id,
    cast(null as {{ dbt.type_string() }}) as stage_id,
    cast(count(*) as integer) as sample_size,
    cast(percentile_cont(0.5) within group (order by quiet_days) as decimal(18, 9)) as usual_days
from windows
group by month_start, crm_source, owner_id
union all
select
    month_start,
    'quiet',
    cast(null as {{ dbt.type_string() }}),
    cast(null as {{ dbt.type_string() }}),
    cast(null as {{ dbt.type_string() }}),
    cast(null as {{ dbt.type_string() }}),
    cast(count(*) as integer),
    cast(percentile_cont(0.5) within group (order by quiet_days) as decimal(18, 9))
from windows
group by month_start
union all
select
    month_start,
    'stage',
    crm_source,
    cast(null as {{ dbt.type_string() }}),
    pipeline_id,
    stage_id,
    cast(count(*) as integer),
    cast(
        percentile_cont({{ var('risk_stage_days_percentile') }}) within group (order by days_in_stage)
        as decimal(18, 9)
    )
from stays
group by month_start, crm_source, pipeline_id, stage_id
