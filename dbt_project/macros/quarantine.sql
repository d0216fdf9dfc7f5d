{#- The raw row as JSON text, kept with a quarantined record. -#}
{% macro row_json(alias) -%}
    {{ return(adapter.dispatch('row_json')(alias)) }}
{%- endmacro %}

{% macro default__row_json(alias) -%} cast(row_to_json({{ alias }}) as {{ dbt.type_string() }}) {%- endmacro %}

{% macro duckdb__row_json(alias) -%} cast(to_json({{ alias }}) as {{ dbt.type_string() }}) {%- endmacro %}

{% macro spark__row_json(alias) -%} to_json(struct({{ alias }}.*)) {%- endmacro %}

{#- The checks of one CRM object type's quarantine, in the order they are tried: a list of
    (reason, SQL condition on the raw row `r`) or (reason, condition, 'reference'). A
    reference check reads other tables (the owners, the pipelines): it is evaluated on every
    build, on the checked table's copy of the raw columns it names (`reference_columns`),
    since what it refers to can change without the record changing. The others read the
    record alone and are evaluated once per loaded version of it. -#}
{% macro is_reference_check(check) -%}
    {{ return(check | length > 2 and check[2] == 'reference') }}
{%- endmacro %}

{#- Every loaded version of a record checked once, in an incremental table (the model
    int_<crm>__checked_<object type>): the record's keys, its merge and duplicate marks,
    whether each record-only check failed, the raw columns the reference checks and the
    duplicate comparison read, and the raw row as JSON when it was flagged as it was checked.
    A build checks the raw rows of loads newer than the newest it checked (per connection),
    all of them when the checks changed (checks_version: a digest of their SQL). Checking
    every raw record every night was the most history-sized part of a next-day build. -#}
{#- kind: the CRM (its raw tables, crm_raw); deleted_column: the raw column marking a record
    deleted in the CRM (none: its records are not deleted that way); duplicates: the
    connector marks records without an id (_missing_id) and later conflicting copies of an
    id (_duplicate_of), as the HubSpot connector does; optional: the object is one a CRM
    account may lack (crm_raw_exists): without its raw table nothing is checked. -#}
{% macro checked_records(source_table, object_type, checks, kpi_columns=[], reference_columns=[], kind='hubspot', deleted_column='archived', duplicates=true, optional=false) -%}
{{ config(
    materialized='incremental',
    unique_key=['crm_source', 'id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- the checks' SQL names relations with the warehouse's database (its file name): left out -#}
{%- set definition = checks | map('join', '|') | join('\n') ~ '\n' ~ kpi_columns | join(',') ~ '\n' ~ reference_columns | join(',') %}
{%- set version = local_md5(definition | replace(adapter.quote(this.database) ~ '.', '')) %}
{%- set kept = [] %}
{%- for column in kpi_columns + reference_columns if column not in kept %}{% do kept.append(column) %}{% endfor %}
{%- if optional and not crm_raw_exists(kind, source_table) %}
select
    cast(null as {{ dbt.type_string() }}) as crm_source,
    cast(null as {{ dbt.type_string() }}) as id,
    cast(null as {{ dbt.type_string() }}) as record_id,
    cast(null as {{ dbt.type_string() }}) as duplicate_of,
    false as is_missing_id,
    false as is_archived,
    {%- for column in kept %}
    cast(null as {{ dbt.type_string() }}) as {{ column }},
    {%- endfor %}
    {%- for check in checks if not is_reference_check(check) %}
    false as failed_{{ check[0] }},
    {%- endfor %}
    cast(null as {{ dbt.type_string() }}) as raw_record,
    cast(null as {{ dbt.type_string() }}) as load_id,
    '{{ version }}' as checks_version
where false
{%- else %}
select
    r.crm_source,
    r.id,
    {%- if duplicates %}
    coalesce(r._duplicate_of, r.id) as record_id,
    r._duplicate_of as duplicate_of,
    coalesce(r._missing_id, false) as is_missing_id,
    {%- else %}
    r.id as record_id,
    cast(null as {{ dbt.type_string() }}) as duplicate_of,
    false as is_missing_id,
    {%- endif %}
    {{ 'coalesce(r.' ~ deleted_column ~ ', false)' if deleted_column else 'false' }} as is_archived,
    {%- for column in kept %}
    r.{{ column }},
    {%- endfor %}
    {%- for check in checks if not is_reference_check(check) %}
    coalesce({{ check[1] }}, false) as failed_{{ check[0] }},
    {%- endfor %}
    case
        when {{ "coalesce(r._missing_id, false) or r._duplicate_of is not null" if duplicates else "false" }}
            {%- for check in checks %}
            or coalesce({{ check[1] }}, false)
            {%- endfor %}
            then {{ row_json('r') }}
    end as raw_record,
    r._dlt_load_id as load_id,
    '{{ version }}' as checks_version
from {{ crm_raw(kind, source_table, optional=optional) }} as r
{%- if is_incremental() %}
where r._dlt_load_id > coalesce(
    (
        select max(t.load_id) from {{ this }} as t
        where t.crm_source = r.crm_source and t.checks_version = '{{ version }}'
    ),
    ''
)
{%- endif %}
{%- endif %}
{%- endmacro %}

{#- One quarantine model, from its checked table (checked_records): the first failing check
    (in the order given) of each record as last loaded. A record flagged by none of them
    is valid; deleted (archived) records and records merged into another
    (int_merges_resolved) are not checked.
    Two copies of one id that differ (the connector keys the later copy `<id>#conflict-...`
    with _duplicate_of): the later copy is quarantined (duplicate_id_conflict) and the first
    kept, unless they disagree on one of kpi_columns (a KPI input, e.g. a deal's stage, owner
    or home amount): then picking one would be arbitrary, and every copy is quarantined
    (duplicate_id_kpi_conflict).
    The raw row comes from the checked table, or, for a record flagged after it was checked
    (its owner removed since, or a later copy disagreeing with it), from the raw table. -#}
{% macro quarantine_checks(source_table, object_type, checks, kpi_columns=[], reference_columns=[], kind='hubspot', deleted_column='archived', duplicates=true, optional=false) -%}
{%- if optional and not crm_raw_exists(kind, source_table) %}
select
    cast(null as {{ dbt.type_string() }}) as crm_source,
    cast(null as {{ dbt.type_string() }}) as record_id,
    '{{ object_type }}' as object_type,
    cast(null as {{ dbt.type_string() }}) as reason,
    cast(null as {{ dbt.type_string() }}) as loaded_id,
    cast(null as {{ dbt.type_string() }}) as raw_record,
    cast(null as {{ dbt.type_string() }}) as load_id
where false
{%- else %}
{#- the core object type of records a merge can take away (int_merges_resolved) -#}
{%- set merged_as = {'companies': 'company', 'contacts': 'contact', 'deals': 'deal', 'account': 'company', 'lead': 'contact'}.get(object_type) %}
with checked as (
    select * from {{ ref('int_' ~ kind ~ '__checked_' ~ source_table) }}
),

{%- set disagree -%}
    {%- for column in kpi_columns %}{{ " or " if not loop.first }}a.{{ column }} is distinct from b.{{ column }}{%- endfor %}
{%- endset %}

kpi_conflicts as (
    {%- if kpi_columns %}
    select distinct a.crm_source, a.duplicate_of as record_id
    from checked as a
    inner join checked as b
        on b.crm_source = a.crm_source and b.id = a.duplicate_of and b.duplicate_of is null
    where a.duplicate_of is not null and ({{ disagree }})
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as crm_source, cast(null as {{ dbt.type_string() }}) as record_id where false
    {%- endif %}
),

flagged as (
    select
        r.crm_source,
        r.record_id,
        '{{ object_type }}' as object_type,
        case
            when r.is_missing_id then 'missing_id'
            when k.record_id is not null then 'duplicate_id_kpi_conflict'
            when r.duplicate_of is not null then 'duplicate_id_conflict'
            {%- for check in checks %}
            when {{ check[1] if is_reference_check(check) else 'r.failed_' ~ check[0] }} then '{{ check[0] }}'
            {%- endfor %}
        end as reason,
        r.id as loaded_id,
        r.raw_record,
        r.load_id
    from checked as r
    left join kpi_conflicts as k
        on k.crm_source = r.crm_source and k.record_id = r.record_id
    where not r.is_archived  -- deleted in the CRM: left out, not quarantined
    {%- if merged_as %}
        and r.id not in (  -- merged into another record: gone from the CRM as well
            select m.merged_id from {{ ref('int_merges_resolved') }} as m
            where m.crm_source = r.crm_source and m.object_type = '{{ merged_as }}'
        )
    {%- endif %}
),

quarantined as (
    select * from flagged where reason is not null
),

flagged_since as (
    select q.crm_source, q.loaded_id, {{ row_json('r') }} as raw_record
    from quarantined as q
    inner join {{ crm_raw(kind, source_table, optional=optional) }} as r
        on r.crm_source = q.crm_source and r.id = q.loaded_id
    where q.raw_record is null
)

select
    q.crm_source,
    q.record_id,
    q.object_type,
    q.reason,
    q.loaded_id,
    coalesce(q.raw_record, s.raw_record) as raw_record,
    q.load_id
from quarantined as q
left join flagged_since as s
    on s.crm_source = q.crm_source and s.loaded_id = q.loaded_id
{%- endif %}
{%- endmacro %}
