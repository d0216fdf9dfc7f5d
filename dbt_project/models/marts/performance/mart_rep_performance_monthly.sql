-- Rep x reporting month: every KPI of docs/METRICS.md, credited as docs/METRICS.md says.
select
    {{ surrogate_key(['t.group_id', 't.month_start']) }} as rep_month_id,
    t.month_start,
    t.group_id as rep_key,
    r.crm_source,
    r.owner_id,
    r.rep_name,
    r.team_id,
    r.team_name,
    {{ kpi_formulas('t') }}
from {{ ref('int_rep_month_totals') }} as t
left join {{ ref('dim_reps') }} as r on r.rep_key = t.group_id
