{#- The CRM connections (var crm_connections: a list of {name, kind}; default one HubSpot
    connection named `hubspot`, set from the pipeline's connections, ingestion/connections.py).
    A connection's raw tables are in the schema raw_<name>; its name is the rows' crm_source. -#}
{% macro crm_connections(kind=none) -%}
    {%- set found = [] -%}
    {%- for connection in var('crm_connections') -%}
        {%- if kind is none or connection['kind'] == kind -%}{%- do found.append(connection) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- The kinds of CRM enabled (each has its adapter models int_<kind>__*), in order. -#}
{% macro crm_kinds() -%}
    {%- set kinds = [] -%}
    {%- for connection in crm_connections() -%}
        {%- if connection['kind'] not in kinds -%}{%- do kinds.append(connection['kind']) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(kinds) }}
{%- endmacro %}

{#- A raw table of every connection of one kind, as one relation with crm_source first. The
    first connection's table is the dbt source `raw_<kind>` (its schema follows the var), so
    lineage and freshness see it; the others' are unioned by column name (their custom
    properties may differ). optional: only the connections that have the table (see below). -#}
{% macro crm_raw(kind, table, optional=false) -%}
    {%- set every = crm_connections(kind) -%}
    {%- if target.type == 'spark' and every | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            'WAREHOUSE_ENGINE=spark reads one connection per CRM kind for now (' ~ every | length
            ~ ' ' ~ kind ~ ' connections are configured): Spark SQL has no UNION BY NAME') }}
    {%- endif -%}
    {%- set first = every[0]['name'] if every else none -%}
    {%- set connections = crm_connections_with(kind, table) if optional else every -%}
    (
        {%- for connection in connections %}
        select '{{ connection['name'] }}' as crm_source, *
        from {{ source('raw_' ~ kind, table) if connection['name'] == first else adapter.quote('raw_' ~ connection['name']) ~ '.' ~ adapter.quote(table) }}
        {{ "union all by name" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Optional raw tables: an object a CRM account may not have (a feature it lacks) has no raw
    table in its schema. crm_connections_with: the connections of `kind` whose raw `table`
    exists (every one while dbt parses); crm_raw_exists: whether any has it (guard a model's
    use of crm_raw(kind, table, optional=true)); crm_raw_has_column: whether any of those
    tables has `column` (`union all by name` gives NULL where one lacks it). -#}
{% macro crm_connections_with(kind, table) -%}
    {%- set found = [] -%}
    {%- for connection in crm_connections(kind) -%}
        {%- if not execute or adapter.get_relation(database=target.database, schema='raw_' ~ connection['name'], identifier=table) is not none -%}
            {%- do found.append(connection) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{% macro crm_raw_exists(kind, table) -%}
    {{ return(crm_connections_with(kind, table) | length > 0) }}
{%- endmacro %}

{% macro crm_raw_has_column(kind, table, column) -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- for connection in crm_connections_with(kind, table) -%}
        {%- set relation = adapter.get_relation(database=target.database, schema='raw_' ~ connection['name'], identifier=table) -%}
        {%- if column in (adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- int_crm__<entity>: the union of the enabled CRM kinds' int_<kind>__<entity> adapter
    models. The contract's columns are selected by name, so an adapter's column order is
    free. -#}
{% macro crm_union(entity) -%}
    {%- set columns = (model.columns or {}).keys() | list -%}
    {%- for kind in crm_kinds() %}
select {{ columns | join(', ') if columns else '*' }}
from {{ ref('int_' ~ kind ~ '__' ~ entity) }}
{% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
