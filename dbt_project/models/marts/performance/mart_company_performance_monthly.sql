-- Whole sales organisation x reporting month, rates recomputed from sums.
select
    t.month_start,
    {{ kpi_formulas('t') }}
from {{ ref('int_company_month_totals') }} as t
