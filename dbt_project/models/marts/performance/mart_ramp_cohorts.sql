-- Ramp by start cohort (docs/METRICS.md, "Ramp"): reps who started in the same month, by
-- tenure month: how many, what they booked against quota together, and the median rep.
select
    {{ surrogate_key(['start_month', 'tenure_month']) }} as ramp_cohort_id,
    start_month,
    max(case when started_before_history then 1 else 0 end) = 1 as started_before_history,
    tenure_month,
    min(month_start) as month_start,
    cast(count(*) as integer) as reps,
    cast(sum(case when quota > 0 then 1 else 0 end) as integer) as reps_with_quota,
    cast(sum(won_deals) as bigint) as won_deals,
    sum(bookings) as bookings,
    sum(quota) as quota,
    {{ safe_divide('sum(bookings)', 'sum(quota)') }} as quota_attainment,
    percentile_cont(0.5) within group (order by quota_attainment) as quota_attainment_median
from {{ ref('mart_rep_ramp') }}
group by start_month, tenure_month
