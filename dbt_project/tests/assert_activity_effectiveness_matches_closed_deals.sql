-- mart_activity_effectiveness splits each rep's closed deals by meetings bucket without losing or adding
-- any: per rep x fiscal quarter, its closed_deals and won_deals summed over buckets equal the won + lost
-- and won deals of mart_rep_performance_monthly over the quarter's months. Also win_rate in [0, 1] and
-- won_deals <= closed_deals. Returns the offending rows.
with effectiveness as (
    select rep_key, fiscal_quarter_start, sum(closed_deals) as closed_deals, sum(won_deals) as won_deals
    from {{ ref('mart_activity_effectiveness') }}
    where rep_key in (select rep_key from {{ ref('dim_reps') }})
    group by 1, 2
),

monthly as (
    select
        m.rep_key,
        cal.fiscal_quarter_start,
        sum(m.won_deals + m.lost_deals) as closed_deals,
        sum(m.won_deals) as won_deals
    from {{ ref('mart_rep_performance_monthly') }} as m
    inner join {{ ref('dim_date') }} as cal on cal.date_day = m.month_start
    group by 1, 2
)

select
    coalesce(e.rep_key, m.rep_key) as rep_key,
    coalesce(e.fiscal_quarter_start, m.fiscal_quarter_start) as fiscal_quarter_start,
    e.closed_deals as effectiveness_closed_deals,
    m.closed_deals as mart_closed_deals,
    e.won_deals as effectiveness_won_deals,
    m.won_deals as mart_won_deals
from effectiveness as e
full outer join monthly as m
    on m.rep_key = e.rep_key and m.fiscal_quarter_start = e.fiscal_quarter_start
where coalesce(e.closed_deals, 0) <> coalesce(m.closed_deals, 0)
   or coalesce(e.won_deals, 0) <> coalesce(m.won_deals, 0)
union all
select rep_key, fiscal_quarter_start, closed_deals, null, won_deals, null
from {{ ref('mart_activity_effectiveness') }}
where win_rate not between 0 and 1
   or won_deals > closed_deals
   or closed_deals <= 0
