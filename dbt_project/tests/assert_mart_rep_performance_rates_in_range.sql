-- Rates and amounts of mart_rep_performance_monthly stay in their valid ranges:
-- win_rate in [0, 1], quota_attainment >= 0, avg_deal_size > 0, counts and bookings >= 0, quota > 0.
-- Returns the offending rows.
select *
from {{ ref('mart_rep_performance_monthly') }}
where win_rate < 0 or win_rate > 1
   or quota_attainment < 0
   or avg_deal_size <= 0
   or quota <= 0
   or bookings < 0
   or won_deals < 0 or lost_deals < 0
   or calls < 0 or emails < 0 or meetings < 0 or tasks_completed < 0
