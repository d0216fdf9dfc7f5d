{#
    No two rows share the listed columns' values. For large tables whose primary key is a
    surrogate (a hash or a joined string of these columns): grouping by the columns
    themselves is much cheaper than computing and grouping the key, and equivalent.
#}
{% test unique_combination(model, column_names) %}
select {{ column_names | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ column_names | join(', ') }}
having count(*) > 1
{% endtest %}
