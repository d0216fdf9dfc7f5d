{#- The last non-NULL value of `column` in a window frame (a window function: follow it by
    `over (...)`). -#}
{% macro last_value_so_far(column) -%}
    {{ return(adapter.dispatch('last_value_so_far')(column)) }}
{%- endmacro %}

{% macro default__last_value_so_far(column) -%}
    last_value({{ column }} ignore nulls)
{%- endmacro %}

{% macro spark__last_value_so_far(column) -%}
    last({{ column }}, true)
{%- endmacro %}
