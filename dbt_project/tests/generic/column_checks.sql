{#
    A model's column checks in one test and one scan, instead of one `not_null` and one
    `unique` and `accepted_values` test (and scan) per column: the nightly build runs a few
    hundred fewer nodes. not_null: columns without nulls. unique: columns whose non-null
    values are distinct. accepted_values: {column: [values]}, columns whose non-null values
    are among those listed. Fails with one row per failed check: check_name, column_name and
    failing_rows (rows with nulls, rows beyond the first of each repeated value, or rows with
    a value not listed).
    CRM ids are unique within their connection: in a model with a crm_source column, unique
    means unique per crm_source (rows without one, e.g. company rows, are one more source).
#}
{% test column_checks(model, not_null=[], unique=[], accepted_values={}) %}
{%- set checks = [] %}
{%- set per_source = execute and 'crm_source' in adapter.get_columns_in_relation(model) | map(attribute='name') | list %}
{%- for column in not_null %}
    {%- do checks.append(('not_null', column, 'count(*) filter (where ' ~ adapter.quote(column) ~ ' is null)')) %}
{%- endfor %}
{%- for column in unique %}
    {%- set distinct_values = "coalesce(crm_source, '') || '|' || " ~ adapter.quote(column) if per_source and column != 'crm_source' else adapter.quote(column) %}
    {%- do checks.append(('unique', column, 'count(' ~ adapter.quote(column) ~ ') - count(distinct ' ~ distinct_values ~ ')')) %}
{%- endfor %}
{%- for column, values in accepted_values.items() %}
    {%- set listed = [] %}
    {%- for value in values %}{% do listed.append("'" ~ value ~ "'") %}{% endfor %}
    {%- do checks.append(('accepted_values', column, 'count(*) filter (where ' ~ adapter.quote(column) ~ ' not in (' ~ listed | join(', ') ~ '))')) %}
{%- endfor %}
with counts as (
    select
    {%- for check_name, column, expression in checks %}
        {{ expression }} as check_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for check_name, column, expression in checks %}
select '{{ check_name }}' as check_name, '{{ column }}' as column_name, check_{{ loop.index }} as failing_rows
from counts
where check_{{ loop.index }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
