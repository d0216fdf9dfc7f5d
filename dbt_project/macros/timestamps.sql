{#- A timestamp with time zone, portable across adapters. -#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%} timestamp with time zone {%- endmacro %}

{#- Spark's TIMESTAMP is an instant (TIMESTAMP_LTZ), shown in spark.sql.session.timeZone (UTC). -#}
{% macro spark__type_timestamptz() -%} timestamp {%- endmacro %}

{#- HubSpot sends ISO-8601 strings (some fields epoch milliseconds); empty strings and
    values that are not a date become NULL (quarantine models flag the latter). -#}
{% macro parse_timestamptz(column) -%}
    {{ return(adapter.dispatch('parse_timestamptz')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamptz(column) -%}
    cast(nullif(trim({{ column }}), '') as {{ type_timestamptz() }})
{%- endmacro %}

{#- The ISO cast first: a run of 12-13 digits never casts, so the pattern is matched only
    on the few values the cast refuses (matched on every value, it cost a quarter more on
    every timestamp of the history). -#}
{% macro duckdb__parse_timestamptz(column) -%}
    coalesce(
        try_cast(nullif(trim({{ column }}), '') as timestamptz),
        case
            when regexp_full_match(trim({{ column }}), '[0-9]{12,13}')
                then to_timestamp(cast(trim({{ column }}) as bigint) / 1000.0)
        end
    )
{%- endmacro %}

{% macro spark__parse_timestamptz(column) -%}
    coalesce(
        try_cast(nullif(trim({{ column }}), '') as timestamp),
        case
            when trim({{ column }}) rlike '^[0-9]{12,13}$'
                then timestamp_millis(cast(trim({{ column }}) as bigint))
        end
    )
{%- endmacro %}

{#- Wall-clock time in the reporting time zone (var reporting_timezone). -#}
{% macro to_reporting_tz(column) -%}
    {{ return(adapter.dispatch('to_reporting_tz')(column)) }}
{%- endmacro %}

{% macro default__to_reporting_tz(column) -%}
    ({{ column }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro spark__to_reporting_tz(column) -%}
    from_utc_timestamp({{ column }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- First day of the reporting-time-zone month a timestamp falls in, as a date. -#}
{% macro reporting_month(column) -%}
    cast({{ dbt.date_trunc('month', to_reporting_tz(column)) }} as date)
{%- endmacro %}

{% macro reporting_date(column) -%}
    cast({{ to_reporting_tz(column) }} as date)
{%- endmacro %}

{#- Numbers arrive as strings; blank and non-numeric become NULL (quarantine models flag
    the latter). -#}
{% macro parse_number(column) -%}
    {{ return(adapter.dispatch('parse_number')(column)) }}
{%- endmacro %}

{% macro default__parse_number(column) -%}
    cast(nullif(trim({{ column }}), '') as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro duckdb__parse_number(column) -%}
    try_cast(nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '') as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro spark__parse_number(column) -%}
    try_cast(nullif(trim(cast({{ column }} as string)), '') as {{ dbt.type_numeric() }})
{%- endmacro %}

{#- A value that is present but does not parse (what quarantine calls unparseable). -#}
{% macro fails_to_parse(column, parsed) -%}
    (nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '') is not null and {{ parsed }} is null)
{%- endmacro %}

{#- The instant a reporting-time-zone day starts (00:00 local), as a timestamptz. -#}
{% macro local_day_start(day) -%}
    {{ return(adapter.dispatch('local_day_start')(day)) }}
{%- endmacro %}

{% macro default__local_day_start(day) -%}
    (cast(cast({{ day }} as date) as timestamp) at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro spark__local_day_start(day) -%}
    to_utc_timestamp(cast(cast({{ day }} as date) as timestamp), '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- Days between two timestamps, fractional (HubSpot timestamps are in milliseconds), as a
    decimal so that sums and averages over many deals are exact and repeatable. -#}
{% macro days_between(start, end) -%}
    cast(cast(({{ dbt.datediff(start, end, 'millisecond') }}) as {{ type_double() }}) / 86400000 as decimal(18, 9))
{%- endmacro %}

{#- A number of days as text with one decimal (12.5), for sentences shown to people. -#}
{% macro days_text(days) -%}
    cast(cast(round({{ days }}, 1) as decimal(18, 1)) as {{ dbt.type_string() }})
{%- endmacro %}
