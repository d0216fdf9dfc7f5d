{#- The raw row as JSON text, kept with a quarantined record. -#}
{% macro row_json(alias) -%}
    {{ return(adapter.dispatch('row_json')(alias)) }}
{%- endmacro %}

{% macro default__row_json(alias) -%} cast(row_to_json({{ alias }}) as text) {%- endmacro %}

{% macro duckdb__row_json(alias) -%} cast(to_json({{ alias }}) as varchar) {%- endmacro %}

{#- One quarantine model: the first failing check (in the order given) of each raw record.
    checks: list of (reason, SQL condition on raw row `r`); object_type: the CRM object.
    A record flagged by none of them is valid; deleted (archived) records and records merged
    into another (int_merges_resolved) are not checked. -#}
{% macro quarantine_checks(source_table, object_type, checks, joins='') -%}
with flagged as (
    select
        r.crm_source,
        coalesce(r._duplicate_of, r.id) as record_id,
        '{{ object_type }}' as object_type,
        case
            when coalesce(r._missing_id, false) then 'missing_id'
            when r._duplicate_of is not null then 'duplicate_id_conflict'
            {%- for reason, condition in checks %}
            when {{ condition }} then '{{ reason }}'
            {%- endfor %}
        end as reason,
        r.id as loaded_id,
        {{ row_json('r') }} as raw_record,
        r._dlt_load_id as load_id
    from {{ crm_raw('hubspot', source_table) }} as r
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
