-- won_deals, lost_deals and bookings of the mart add up to the closed deals of fct_deals per owner x
-- close month, and no closed deal is lost on the way (e.g. an owner missing from dim_reps or a close month
-- outside the mart's month range). Bookings are compared with a small tolerance for rounding.
with mart as (
    select crm_source, owner_id, month_start, won_deals, lost_deals, bookings
    from {{ ref('mart_rep_performance_monthly') }}
    where won_deals + lost_deals > 0
),

deals as (
    select
        crm_source,
        owner_id,
        closed_month as month_start,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when is_lost then 1 else 0 end) as lost_deals,
        sum(case when is_won then amount_home else 0 end) as bookings
    from {{ ref('fct_deals') }}
    where is_closed and (is_won or is_lost)
    group by 1, 2, 3
)

select
    coalesce(m.crm_source, d.crm_source) as crm_source,
    coalesce(m.owner_id, d.owner_id) as owner_id,
    coalesce(m.month_start, d.month_start) as month_start,
    m.won_deals as mart_won_deals,
    d.won_deals as fct_won_deals,
    m.lost_deals as mart_lost_deals,
    d.lost_deals as fct_lost_deals,
    m.bookings as mart_bookings,
    d.bookings as fct_bookings
from mart as m
full outer join deals as d
    on d.crm_source = m.crm_source and d.owner_id = m.owner_id and d.month_start = m.month_start
where m.owner_id is null
   or d.owner_id is null
   or m.won_deals <> d.won_deals
   or m.lost_deals <> d.lost_deals
   or abs(coalesce(m.bookings, 0) - coalesce(d.bookings, 0)) > 0.01
