-- Each rep has at most 3 strengths and at most 3 weaknesses per month, ranked 1..n without gaps, and no
-- KPI is both; strengths and weaknesses only where the sample is large enough. Returns offending
-- rep x months.
with per_rep_month as (
    select
        rep_key,
        month_start,
        sum(case when is_strength then 1 else 0 end) as strengths,
        sum(case when is_weakness then 1 else 0 end) as weaknesses,
        coalesce(max(strength_rank), 0) as max_strength_rank,
        coalesce(max(weakness_rank), 0) as max_weakness_rank,
        sum(case when is_strength and is_weakness then 1 else 0 end) as both_flags,
        sum(case when (is_strength or is_weakness) and (value is null or sample_size < min_sample_size)
            then 1 else 0 end) as judged_on_small_sample,
        sum(case when is_strength <> (strength_rank is not null) or is_weakness <> (weakness_rank is not null)
            then 1 else 0 end) as rank_flag_mismatch
    from {{ ref('mart_rep_scorecard') }}
    group by 1, 2
)

select *
from per_rep_month
where strengths > 3
   or weaknesses > 3
   or max_strength_rank <> strengths
   or max_weakness_rank <> weaknesses
   or both_flags > 0
   or judged_on_small_sample > 0
   or rank_flag_mismatch > 0
