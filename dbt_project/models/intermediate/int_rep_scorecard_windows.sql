-- Per rep and reporting month: sums over the trailing 3 months ending in that month,
-- the window every scorecard KPI is measured on.
with totals as (
    select * from {{ ref('int_rep_month_totals') }}
),

windows as (
    select
        m.group_id as rep_key,
        m.month_start,
        sum(w.won_deals) as won_deals,
        sum(w.lost_deals) as lost_deals,
        sum(w.bookings) as bookings,
        sum(w.quota) as quota,
        sum(w.open_pipeline_start) as open_pipeline_start,
        sum(w.expected_deals_start) as expected_deals_start,
        sum(w.calls + w.emails + w.meetings + w.tasks_completed) as activities_total,
        sum(w.leads_created) as leads_created,
        sum(w.leads_converted) as leads_converted,
        sum(w.csat_responses) as csat_responses,
        sum(w.csat_score_sum) as csat_score_sum
    from totals as m
    inner join totals as w
        on w.group_id = m.group_id
        and w.month_start > {{ dbt.dateadd('month', -3, 'm.month_start') }}
        and w.month_start <= m.month_start
    group by 1, 2
),

cycles as (
    select
        m.group_id as rep_key,
        m.month_start,
        percentile_cont(0.5) within group (order by d.days_to_close) as sales_cycle_days_median
    from totals as m
    inner join {{ ref('int_rep_identities') }} as r on r.rep_key = m.group_id
    inner join {{ ref('fct_deals') }} as d
        on d.crm_source = r.crm_source
        and d.owner_id = r.owner_id
        and d.is_won
        and d.closed_month > {{ dbt.dateadd('month', -3, 'm.month_start') }}
        and d.closed_month <= m.month_start
    group by 1, 2
)

select
    w.*,
    w.won_deals + w.lost_deals as closed_deals,
    c.sales_cycle_days_median
from windows as w
left join cycles as c on c.rep_key = w.rep_key and c.month_start = w.month_start
