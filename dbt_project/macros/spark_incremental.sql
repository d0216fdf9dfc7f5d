{#- Incremental models on Spark with parquet tables (docs/ARCHITECTURE.md, "Spark").

    The project's incremental models use delete+insert: the rows of the keys a run re-states
    are replaced. dbt-spark offers append, insert_overwrite and merge, and merge needs Delta,
    Iceberg or Hudi, whose jars a plain Spark does not ship. So on Spark delete+insert is
    (the table's rows whose key is not in the new rows) + (the new rows), written to a stage
    table in schema dbt_stage and copied back with `insert overwrite` (a statement cannot
    overwrite the table it reads). Keys match with `=`, so NULL keys never match, as in
    DuckDB's delete+insert. The whole table is rewritten each run: at this project's sizes
    that costs about what a merge would; a very large fact would be partitioned and only the
    touched partitions overwritten.

    dbt-spark's two macros below are not dispatched; the root project's definitions win. -#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch', 'delete+insert'] -%}
        {%- do exceptions.raise_compiler_error(
            'Invalid incremental strategy provided: ' ~ raw_strategy
            ~ '. Expected one of: append, merge, insert_overwrite, microbatch, delete+insert') -%}
    {%- endif -%}
    {%- if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] -%}
        {%- do exceptions.raise_compiler_error(
            'Invalid incremental strategy merge: file_format ' ~ file_format
            ~ ' has no MERGE (use delta, iceberg or hudi, or delete+insert)') -%}
    {%- endif -%}
    {%- do return(raw_strategy) -%}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'delete+insert' -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
        {%- set stage = spark_stage_relation(target) -%}
        {%- set match -%}
            {%- for key in keys %}{{ ' and ' if not loop.first }}s.{{ key }} = t.{{ key }}{% endfor -%}
        {%- endset -%}
        {%- do run_query('drop table if exists ' ~ stage) -%}
        {%- do run_query('create table ' ~ stage ~ ' using parquet as'
            ~ ' select ' ~ columns ~ ' from ' ~ target ~ ' as t'
            ~ ' where not exists (select 1 from ' ~ source ~ ' as s where ' ~ match ~ ')'
            ~ ' union all select ' ~ columns ~ ' from ' ~ source) -%}
        insert overwrite table {{ target }} select {{ columns }} from {{ stage }}
    {%- elif strategy == 'append' -%}
        {{ get_insert_into_sql(source, target) }}
    {%- elif strategy in ('insert_overwrite', 'microbatch') -%}
        {{ get_insert_overwrite_sql(source, target, existing) }}
    {%- elif strategy == 'merge' -%}
        {{ get_merge_sql(target, source, unique_key, dest_columns=none, incremental_predicates=incremental_predicates) }}
    {%- endif -%}
{% endmacro %}

{#- The stage table of `relation` for a rewrite (schema dbt_stage, never served). -#}
{% macro spark_stage_relation(relation) -%}
    {%- do create_spark_database('dbt_stage') -%}
    {{ return(api.Relation.create(schema='dbt_stage', identifier=relation.schema ~ '__' ~ relation.identifier)) }}
{%- endmacro %}

{#- `create database if not exists` of one that exists makes Hive's metastore log a stack
    trace at error level: it is asked first. -#}
{% macro create_spark_database(name) -%}
    {%- if run_query("show databases like '" ~ name ~ "'") | length == 0 -%}
        {%- do run_query('create database `' ~ name ~ '`') -%}
    {%- endif -%}
{%- endmacro %}

{#- The previous build's stage tables, dropped before the next build (register_lake_tables).
    Not an on-run-end hook: a project hook would be a node of every DuckDB run too. -#}
{% macro drop_spark_stage_tables() -%}
    {%- do run_query('drop database if exists dbt_stage cascade') -%}
{%- endmacro %}

{#- dbt-spark's listagg ignores the order (collect_list keeps arrival order); Spark 4 has
    listagg ... within group. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {%- do exceptions.raise_compiler_error('listagg: limit_num is not supported on Spark here') -%}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
