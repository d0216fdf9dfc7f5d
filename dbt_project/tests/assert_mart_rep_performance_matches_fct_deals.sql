-- won_deals, lost_deals and bookings of the mart add up to the closed deals of fct_deals per rep x
-- close month, and no closed deal is lost on the way (e.g. an owner missing from dim_reps or a close month
-- outside the mart's month range). Bookings are compared with a small tolerance for rounding.
with mart as (
    select rep_key, month_start, won_deals, lost_deals, bookings
    from {{ ref('mart_rep_performance_monthly') }}
    where won_deals + lost_deals > 0
),

deals as (
    select
        coalesce(i.rep_key, d.crm_source || '|' || d.owner_id) as rep_key,
        d.closed_month as month_start,
        sum(case when d.is_won then 1 else 0 end) as won_deals,
        sum(case when d.is_lost then 1 else 0 end) as lost_deals,
        sum(case when d.is_won then d.amount_home else 0 end) as bookings
    from {{ ref('fct_deals') }} as d
    left join {{ ref('int_rep_identities') }} as i
        on i.crm_source = d.crm_source and i.owner_id = d.owner_id
    where d.is_closed and (d.is_won or d.is_lost)
    group by 1, 2
)

select
    coalesce(m.rep_key, d.rep_key) as rep_key,
    coalesce(m.month_start, d.month_start) as month_start,
    m.won_deals as mart_won_deals,
    d.won_deals as fct_won_deals,
    m.lost_deals as mart_lost_deals,
    d.lost_deals as fct_lost_deals,
    m.bookings as mart_bookings,
    d.bookings as fct_bookings
from mart as m
full outer join deals as d
    on d.rep_key = m.rep_key and d.month_start = m.month_start
where m.rep_key is null
   or d.rep_key is null
   or m.won_deals <> d.won_deals
   or m.lost_deals <> d.lost_deals
   or abs(coalesce(m.bookings, 0) - coalesce(d.bookings, 0)) > 0.01
