{#- WAREHOUSE_ENGINE=spark: the raw tables dlt wrote as parquet files in the lake, as the
    relations the sources name (ingestion/lake.py works out `tables` from dlt's schema).
    Per table: the external table <schema>_loads.<table> over its folder (every load; the
    files stay where dlt wrote them), and the view <schema>.<table> of the current rows.
    Re-created on every run, so a column dlt added since is read too; the last build's stage
    tables (macros/spark_incremental.sql) are dropped first. Run by the pipeline before
    `dbt build`: dbt run-operation register_lake_tables --args '{tables: [...]}'. -#}
{% macro register_lake_tables(tables) %}
    {%- do drop_spark_stage_tables() -%}
    {%- for schema in tables | map(attribute='schema') | unique -%}
        {%- do create_spark_database(schema ~ '_loads') -%}
        {%- do create_spark_database(schema) -%}
    {%- endfor -%}
    {%- for t in tables -%}
        {%- set loads = '`' ~ t['schema'] ~ '_loads`.`' ~ t['table'] ~ '`' -%}
        {%- do run_query('drop table if exists ' ~ loads) -%}
        {%- do run_query('create table ' ~ loads ~ " using parquet options (mergeSchema 'true') location '"
            ~ t['location'] | replace("'", "\\'") ~ "'") -%}
        {%- do run_query('create or replace view `' ~ t['schema'] ~ '`.`' ~ t['table'] ~ '` as ' ~ t['current_rows']) -%}
    {%- endfor -%}
    {{ log('registered ' ~ (tables | length) ~ ' raw tables of the lake', info=true) }}
{% endmacro %}
