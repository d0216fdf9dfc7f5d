-- The scorecard window is the trailing 3 months: each rep's scorecard bookings for a month equal the sum
-- of mart_rep_performance_monthly bookings over that month and the two before it, and its win_rate is
-- recomputed from the window's summed won and lost deals. Returns the rows that disagree.
with monthly as (
    select rep_key, month_start, bookings, won_deals, lost_deals
    from {{ ref('mart_rep_performance_monthly') }}
),

windows as (
    select
        m.rep_key,
        m.month_start,
        sum(w.bookings) as bookings,
        sum(w.won_deals) as won_deals,
        sum(w.lost_deals) as lost_deals
    from monthly as m
    inner join monthly as w
        on w.rep_key = m.rep_key
        and w.month_start > {{ dbt.dateadd('month', -3, 'm.month_start') }}
        and w.month_start <= m.month_start
    group by 1, 2
),

scorecard as (
    select
        rep_key,
        month_start,
        max(case when kpi = 'bookings' then value end) as bookings,
        max(case when kpi = 'win_rate' then value end) as win_rate
    from {{ ref('mart_rep_scorecard') }}
    group by 1, 2
)

select w.*, s.bookings as scorecard_bookings, s.win_rate as scorecard_win_rate
from windows as w
left join scorecard as s on s.rep_key = w.rep_key and s.month_start = w.month_start
where s.rep_key is null
   or abs(s.bookings - w.bookings) > 0.01
   or (s.win_rate is null) <> (w.won_deals + w.lost_deals = 0)
   or abs(s.win_rate - {{ safe_divide('w.won_deals', 'w.won_deals + w.lost_deals') }}) > 1e-9
