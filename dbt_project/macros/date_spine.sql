{#- One row per day from start_date to end_date inclusive (SQL date expressions).
    Written here because dbt packages cannot be installed offline. -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    select cast(d as date) as date_day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day) as t(d)
{%- endmacro %}

{% macro postgres__date_spine(start_date, end_date) -%}
    select cast(d as date) as date_day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval '1 day') as d
{%- endmacro %}

{% macro spark__date_spine(start_date, end_date) -%}
    select cast(d as date) as date_day
    from (select explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)) as d) as t
{%- endmacro %}
