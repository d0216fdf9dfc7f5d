-- The reporting periods of the period-grain marts (pipeline waterfall): every reporting month
-- (int_reporting_months) and every fiscal quarter holding one, with the instants each starts
-- and ends. A period still running ends, for now, at the data's as-of day.
with months as (
    select * from {{ ref('int_reporting_months') }}
),

as_of as (
    select as_of_date from {{ ref('int_data_as_of') }}
),

quarters as (
    select distinct d.fiscal_quarter_start as period_start
    from months as m
    inner join {{ ref('dim_date') }} as d on d.date_day = m.month_start
),

periods as (
    select
        'month' as period_type,
        month_start as period_start,
        next_month_start as next_period_start
    from months
    union all
    select
        'quarter',
        period_start,
        cast({{ dbt.dateadd('month', 3, 'period_start') }} as date)
    from quarters
)

select
    {{ surrogate_key(['p.period_type', 'p.period_start']) }} as period_id,
    p.period_type,
    p.period_start,
    p.next_period_start,
    {{ local_day_start('p.period_start') }} as period_start_at,
    {{ local_day_start('p.next_period_start') }} as next_period_start_at,
    least(p.next_period_start, a.as_of_date) as period_end_date,
    {{ local_day_start('least(p.next_period_start, a.as_of_date)') }} as period_end_at
from periods as p
cross join as_of as a
