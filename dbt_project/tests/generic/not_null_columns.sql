{#
    The listed columns hold no nulls. One test (one scan) per model instead of one
    `not_null` test per column: the nightly build runs a few hundred fewer nodes.
    Fails with one row per column that has nulls, naming it and counting the rows.
#}
{% test not_null_columns(model, column_names) %}
with counts as (
    select
    {%- for column in column_names %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in column_names %}
select '{{ column }}' as column_name, {{ adapter.quote(column) }} as null_rows
from counts
where {{ adapter.quote(column) }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
