{#- A from-item with one row per part of a delimited string, for `cross join`:
    `cross join {{ split_to_rows('s.ids', ';', 'parts', 'part') }}` gives column parts.part.
    Parts are not trimmed; an empty string gives one empty part. -#}
{% macro split_to_rows(expression, delimiter, alias, column) -%}
    {{ return(adapter.dispatch('split_to_rows')(expression, delimiter, alias, column)) }}
{%- endmacro %}

{% macro default__split_to_rows(expression, delimiter, alias, column) -%}
    unnest(string_split({{ expression }}, '{{ delimiter }}')) as {{ alias }}({{ column }})
{%- endmacro %}

{% macro postgres__split_to_rows(expression, delimiter, alias, column) -%}
    unnest(string_to_array({{ expression }}, '{{ delimiter }}')) as {{ alias }}({{ column }})
{%- endmacro %}

{#- Spark's split takes a regular expression: the delimiter goes in a character class. -#}
{% macro spark__split_to_rows(expression, delimiter, alias, column) -%}
    lateral explode(split({{ expression }}, '[{{ delimiter }}]')) as {{ alias }}({{ column }})
{%- endmacro %}
