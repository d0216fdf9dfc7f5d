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
    properties may differ). -#}
{% macro crm_raw(kind, table) -%}
    {%- set connections = crm_connections(kind) -%}
    {%- if connections | length == 1 -%}
    (select '{{ connections[0]['name'] }}' as crm_source, * from {{ source('raw_' ~ kind, table) }})
    {%- else -%}
    (
        {%- for connection in connections %}
        select '{{ connection['name'] }}' as crm_source, *
        from {{ source('raw_' ~ kind, table) if loop.first else adapter.quote('raw_' ~ connection['name']) ~ '.' ~ adapter.quote(table) }}
        {{ "union all by name" if not loop.last }}
        {%- endfor %}
    )
    {%- endif %}
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
