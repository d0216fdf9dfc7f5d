{#
    No two rows share the listed columns' values. For large tables whose primary key is a
    surrogate (a hash or a joined string of these columns): grouping by the columns
    themselves is much cheaper than computing and grouping the key, and equivalent. In a
    model with a crm_source column, the combination is unique per crm_source. A row with a
    null in one of the columns has no key and is not compared (as dbt's `unique` skips nulls).
#}
{% test unique_combination(model, column_names) %}
{%- set per_source = execute and 'crm_source' in adapter.get_columns_in_relation(model) | map(attribute='name') | list %}
{%- set columns = (['crm_source'] if per_source and 'crm_source' not in column_names else []) + column_names %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
where {% for column in columns %}{{ "and " if not loop.first }}{{ column }} is not null {% endfor %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
