-- Calendar in the reporting time zone, covering every deal, activity and quota date.
with bounds as (
    select min(d) as first_day, max(d) as last_day
    from (
        select {{ reporting_date('created_at') }} as d from {{ ref('int_crm__deals') }}
        union all
        select {{ reporting_date('expected_close_at') }} from {{ ref('int_crm__deals') }}
        union all
        select {{ reporting_date('closed_at') }} from {{ ref('int_deal_closes') }}
        union all
        select {{ reporting_date('occurred_at') }} from {{ ref('fct_activities') }}
        union all
        select as_of_date from {{ ref('int_data_as_of') }}
        union all
        select {{ reporting_date('starts_at') }} from {{ ref('int_crm__quotas') }}
        union all
        select {{ reporting_date('ends_at') }} from {{ ref('int_crm__quotas') }}
    ) as all_days
),

days as (
    {{ date_spine("(select first_day from bounds)", "(select last_day from bounds)") }}
),

parts as (
    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        extract(year from date_day) as calendar_year,
        extract(month from date_day) as month_of_year,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week
    from days
)

select
    date_day,
    month_start,
    quarter_start,
    cast(calendar_year as integer) as calendar_year,
    cast(month_of_year as integer) as month_of_year,
    cast(iso_day_of_week as integer) as iso_day_of_week,
    iso_day_of_week in (6, 7) as is_weekend,
    -- A fiscal year is named by the calendar year in which it ends.
    cast(calendar_year + case
        when {{ var('fiscal_year_start_month') }} > 1 and month_of_year >= {{ var('fiscal_year_start_month') }}
            then 1 else 0 end as integer) as fiscal_year,
    cast(floor(mod(cast(month_of_year as integer) - {{ var('fiscal_year_start_month') }} + 12, 12) / 3) + 1 as integer)
        as fiscal_quarter,
    cast({{ dbt.dateadd(
        'month',
        "-1 * mod(mod(cast(month_of_year as integer) - " ~ var('fiscal_year_start_month') ~ " + 12, 12), 3)",
        'month_start'
    ) }} as date) as fiscal_quarter_start
from parts
