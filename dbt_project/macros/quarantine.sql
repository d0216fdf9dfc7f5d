{#- The raw row as JSON text, kept with a quarantined record. -#}
{% macro row_json(alias) -%}
    {{ return(adapter.dispatch('row_json')(alias)) }}
{%- endmacro %}

{% macro default__row_json(alias) -%} cast(row_to_json({{ alias }}) as text) {%- endmacro %}

{% macro duckdb__row_json(alias) -%} cast(to_json({{ alias }}) as varchar) {%- endmacro %}

{#- One quarantine model: the first failing check (in the order given) of each raw record.
    checks: list of (reason, SQL condition on raw row `r`); object_type: the CRM object.
    A record flagged by none of them is valid; deleted (archived) records and records merged
    into another (int_merges_resolved) are not checked.
    Two copies of one id that differ (the connector keys the later copy `<id>#conflict-...`
    with _duplicate_of): the later copy is quarantined (duplicate_id_conflict) and the first
    kept, unless they disagree on one of kpi_columns (a KPI input, e.g. a deal's stage, owner
    or home amount): then picking one would be arbitrary, and every copy is quarantined
    (duplicate_id_kpi_conflict). -#}
{% macro quarantine_checks(source_table, object_type, checks, joins='', kpi_columns=[]) -%}
with raw as (
    select * from {{ crm_raw('hubspot', source_table) }}
),

{%- set disagree -%}
    {%- for column in kpi_columns %}{{ " or " if not loop.first }}a.{{ column }} is distinct from b.{{ column }}{%- endfor %}
{%- endset %}

kpi_conflicts as (
    {%- if kpi_columns %}
    select distinct a.crm_source, a._duplicate_of as record_id
    from raw as a
    inner join raw as b
        on b.crm_source = a.crm_source and b.id = a._duplicate_of and b._duplicate_of is null
    where a._duplicate_of is not null and ({{ disagree }})
    {%- else %}
    select cast(null as varchar) as crm_source, cast(null as varchar) as record_id where false
    {%- endif %}
),

flagged as (
    select
        r.crm_source,
        coalesce(r._duplicate_of, r.id) as record_id,
        '{{ object_type }}' as object_type,
        case
            when coalesce(r._missing_id, false) then 'missing_id'
            when k.record_id is not null then 'duplicate_id_kpi_conflict'
            when r._duplicate_of is not null then 'duplicate_id_conflict'
            {%- for reason, condition in checks %}
            when {{ condition }} then '{{ reason }}'
            {%- endfor %}
        end as reason,
        r.id as loaded_id,
        {{ row_json('r') }} as raw_record,
        r._dlt_load_id as load_id
    from raw as r
    left join kpi_conflicts as k
        on k.crm_source = r.crm_source and k.record_id = coalesce(r._duplicate_of, r.id)
    {{ joins }}
    where not coalesce(r.archived, false)  -- deleted in the CRM: left out, not quarantined
    {%- if object_type in ('companies', 'contacts', 'deals') %}
        and r.id not in (  -- merged into another record: gone from the CRM as well
            select m.merged_id from {{ ref('int_merges_resolved') }} as m
            where m.crm_source = r.crm_source
                and m.object_type = '{{ {'companies': 'company', 'contacts': 'contact', 'deals': 'deal'}[object_type] }}'
        )
    {%- endif %}
)

select * from flagged where reason is not null
{%- endmacro %}
