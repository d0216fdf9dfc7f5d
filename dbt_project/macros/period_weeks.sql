{#- The weeks of the reporting periods (int_reporting_periods), as a relation: the first day of
    each period and every 7th day after it, up to the data's as-of day, with the period's
    columns, week_start (a date), week_number (1 for the period's start) and week_start_at
    (00:00 of week_start in the reporting time zone). Forecast calls are read at these. -#}
{% macro period_weeks() -%}
    (
        select
            p.*,
            d.date_day as week_start,
            cast({{ dbt.datediff('p.period_start', 'd.date_day', 'day') }} / 7 + 1 as integer) as week_number,
            {{ local_day_start('d.date_day') }} as week_start_at
        from {{ ref('int_reporting_periods') }} as p
        inner join {{ ref('dim_date') }} as d
            on d.date_day >= p.period_start
            and d.date_day < p.next_period_start
            and d.date_day <= p.period_end_date
            and mod({{ dbt.datediff('p.period_start', 'd.date_day', 'day') }}, 7) = 0
    )
{%- endmacro %}
