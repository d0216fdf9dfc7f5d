{#- The enabled CRM adapters (var crm_adapters, default ['hubspot']): int_crm__<entity> is
    the union of their int_<crm>__<entity> models. A second CRM adds one entry to the var.
    The contract's columns are selected by name, so an adapter's column order is free. -#}
{% macro crm_union(entity) -%}
    {%- set columns = (model.columns or {}).keys() | list -%}
    {%- for crm in var('crm_adapters') %}
select {{ columns | join(', ') if columns else '*' }}
from {{ ref('int_' ~ crm ~ '__' ~ entity) }}
{% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
