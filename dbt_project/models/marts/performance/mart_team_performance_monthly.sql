-- Team x reporting month: the rep KPIs summed over the team's reps, rates recomputed from
-- the sums and medians taken over the team's deals (never averages of rep rates).
select
    {{ surrogate_key(['t.group_id', 't.month_start']) }} as team_month_id,
    t.month_start,
    t.group_id as team_key,
    tm.crm_source,
    tm.team_id,
    tm.team_name,
    tm.rep_count,
    {{ kpi_formulas('t') }}
from {{ ref('int_team_month_totals') }} as t
left join {{ ref('dim_teams') }} as tm on tm.team_key = t.group_id
