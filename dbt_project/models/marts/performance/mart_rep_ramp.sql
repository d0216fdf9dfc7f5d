-- Rep ramp (docs/METRICS.md, "Ramp"): every rep x month from the month they started
-- (int_rep_starts), numbered by tenure (1 = the start month), with their bookings against quota.
select
    {{ surrogate_key(['p.rep_key', 'p.month_start']) }} as rep_ramp_id,
    p.rep_key,
    p.crm_source,
    p.owner_id,
    p.rep_name,
    p.team_id,
    p.team_name,
    s.start_month,
    s.started_before_history,
    p.month_start,
    cast({{ dbt.datediff('s.start_month', 'p.month_start', 'month') }} + 1 as integer) as tenure_month,
    p.won_deals,
    p.bookings,
    p.quota,
    p.quota_attainment
from {{ ref('mart_rep_performance_monthly') }} as p
inner join {{ ref('int_rep_starts') }} as s on s.rep_key = p.rep_key
where p.month_start >= s.start_month
