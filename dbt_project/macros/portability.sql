{#- Small dispatched macros that keep the models' SQL the same on every engine (DuckDB, the
    default, and Spark). Engine-only SQL lives in `<adapter>__` implementations like these;
    `make lint` flags it anywhere else (tests/lint/test_portable_sql.py). -#}

{#- An 8-byte float. Not dbt.type_float(): on DuckDB that is FLOAT, a 4-byte REAL. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%} double precision {%- endmacro %}

{% macro spark__type_double() -%} double {%- endmacro %}

{#- ISO day of week: 1 = Monday .. 7 = Sunday. -#}
{% macro iso_day_of_week(day) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(day)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(day) -%} extract(isodow from {{ day }}) {%- endmacro %}

{% macro spark__iso_day_of_week(day) -%} extract(dayofweek_iso from {{ day }}) {%- endmacro %}

{#- A statement deleting the rows of `relation` (aliased `alias`) where `condition` is true;
    rows where it is false or NULL stay, as with DELETE. -#}
{% macro delete_rows(relation, condition, alias='t') -%}
    {{ return(adapter.dispatch('delete_rows')(relation, condition, alias)) }}
{%- endmacro %}

{% macro default__delete_rows(relation, condition, alias) -%}
    delete from {{ relation }} as {{ alias }} where {{ condition }}
{%- endmacro %}

{#- Spark's parquet tables cannot DELETE, and a statement cannot overwrite a table it reads:
    the rows that stay are written to a stage table, then copied back. -#}
{% macro spark__delete_rows(relation, condition, alias) -%}
    {%- set stage = spark_stage_relation(relation) -%}
    {%- do run_query('drop table if exists ' ~ stage) -%}
    {%- do run_query('create table ' ~ stage ~ ' using parquet as select * from ' ~ relation ~ ' as ' ~ alias
        ~ ' where not coalesce((' ~ condition ~ '), false)') -%}
    insert overwrite table {{ relation }} select * from {{ stage }}
{%- endmacro %}

{#- A statement deleting every row of `relation`. -#}
{% macro empty_table(relation) -%}
    {{ return(adapter.dispatch('empty_table')(relation)) }}
{%- endmacro %}

{% macro default__empty_table(relation) -%} delete from {{ relation }} {%- endmacro %}

{% macro spark__empty_table(relation) -%} truncate table {{ relation }} {%- endmacro %}
