-- Rollups add up: per month, the team rows summed over teams, plus the reps without a team (who are in
-- no team row), equal the company row — for bookings (within a small tolerance) and the deal, activity,
-- lead and feedback counts. Returns the months that do not reconcile.
{% set measures %}
        bookings,
        won_deals,
        lost_deals,
        activities_total,
        leads_created,
        csat_responses + nps_responses as responses
{%- endset %}
with parts as (
    select month_start, {{ measures }}
    from {{ ref('mart_team_performance_monthly') }}
    union all
    select month_start, {{ measures }}
    from {{ ref('mart_rep_performance_monthly') }}
    where team_id is null
),

summed as (
    select
        month_start,
        sum(bookings) as bookings,
        sum(won_deals) as won_deals,
        sum(lost_deals) as lost_deals,
        sum(activities_total) as activities_total,
        sum(leads_created) as leads_created,
        sum(responses) as responses
    from parts
    group by 1
),

company as (
    select month_start, {{ measures }}
    from {{ ref('mart_company_performance_monthly') }}
)

select
    coalesce(c.month_start, t.month_start) as month_start,
    c.bookings as company_bookings,
    t.bookings as team_bookings
from company as c
full outer join summed as t on t.month_start = c.month_start
where c.month_start is null
   or t.month_start is null
   or abs(c.bookings - t.bookings) > 0.01
   or c.won_deals <> t.won_deals
   or c.lost_deals <> t.lost_deals
   or c.activities_total <> t.activities_total
   or c.leads_created <> t.leads_created
   or c.responses <> t.responses
