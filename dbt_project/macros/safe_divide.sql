{#- Empty or NULL denominators give NULL, never 0 or an error (docs/METRICS.md). -#}
{% macro safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
         else cast({{ numerator }} as {{ type_double() }}) / ({{ denominator }}) end
{%- endmacro %}
