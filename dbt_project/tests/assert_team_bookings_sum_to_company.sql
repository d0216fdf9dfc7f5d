-- Rollups add up: per month, the team rows summed over teams, plus the reps without a team (who are in
-- no team row), equal the company row — for bookings (within a small tolerance) and the deal, activity,
-- lead and feedback counts. Returns the months that do not reconcile.
with teams as (
    select
        month_start,
        sum(bookings) as bookings,
        sum(won_deals) as won_deals,
        sum(lost_deals) as lost_deals,
        sum(activities_total) as activities_total,
        sum(leads_created) as leads_created,
        sum(csat_responses + nps_responses) as responses
    from {{ ref('mart_team_performance_monthly') }}
    group by 1
),

teamless_reps as (
    select
        month_start,
        sum(bookings) as bookings,
        sum(won_deals) as won_deals,
        sum(lost_deals) as lost_deals,
        sum(activities_total) as activities_total,
        sum(leads_created) as leads_created,
        sum(csat_responses + nps_responses) as responses
    from {{ ref('mart_rep_performance_monthly') }}
    where team_id is null
    group by 1
),

company as (
    select
        month_start,
        bookings,
        won_deals,
        lost_deals,
        activities_total,
        leads_created,
        csat_responses + nps_responses as responses
    from {{ ref('mart_company_performance_monthly') }}
)

select
    coalesce(c.month_start, t.month_start) as month_start,
    c.bookings as company_bookings,
    coalesce(t.bookings, 0) + coalesce(r.bookings, 0) as team_bookings
from company as c
full outer join teams as t on t.month_start = c.month_start
left join teamless_reps as r on r.month_start = coalesce(c.month_start, t.month_start)
where c.month_start is null
   or abs(c.bookings - (coalesce(t.bookings, 0) + coalesce(r.bookings, 0))) > 0.01
   or c.won_deals <> coalesce(t.won_deals, 0) + coalesce(r.won_deals, 0)
   or c.lost_deals <> coalesce(t.lost_deals, 0) + coalesce(r.lost_deals, 0)
   or c.activities_total <> coalesce(t.activities_total, 0) + coalesce(r.activities_total, 0)
   or c.leads_created <> coalesce(t.leads_created, 0) + coalesce(r.leads_created, 0)
   or c.responses <> coalesce(t.responses, 0) + coalesce(r.responses, 0)
