{#- Shared by the incremental models (int_deal_state_daily, int_deal_pipeline_monthly,
    int_deal_stage_stays, fct_activities). -#}

{#- True when the model builds incrementally on a table that already has every one of
    `columns`; false on a first build, a full refresh, or a table built before they
    existed (empty_if_missing empties that one, and the run re-states every row). -#}
{% macro incremental_with(columns) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{ return(columns | reject('in', existing) | list | length == 0) }}
{%- endmacro %}

{#- A pre-hook for an incremental model whose rows gained `column` (e.g. crm_source): a
    table built before it existed is emptied once, so the run re-states every row instead of
    adding keyed rows beside old ones. -#}
{% macro empty_if_missing(column) -%}
    {%- if execute and is_incremental() and not incremental_with([column]) -%}
        {{ empty_table(this) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- `or <column> >= <start of the run's first day>` when the run has a window (env
    DBT_WINDOW_START: a partition day or a backfill range, set by Dagster), else nothing:
    a run re-states the rows changed since its window starts. -#}
{% macro or_changed_in_window(column) -%}
    {%- if env_var('DBT_WINDOW_START', '') -%}
        or {{ column }} >= {{ local_day_start("cast('" ~ env_var('DBT_WINDOW_START') ~ "' as date)") }}
    {%- endif -%}
{%- endmacro %}

{#- The deals a model built per deal from int_deal_state_changes re-states (the model keeps
    deal_key, deal_version and deal_updated_at in its rows): those changed since the newest
    change in it (each connection from its own), with DBT_WINDOW_START those changed since it,
    and those whose rows in it were worked out from another deal_version (re-stated upstream
    by a pipeline edit or a backfill). A relation of deal_key. A deal with no rows in the model
    is re-stated only when it changes: a pipeline edit that opens a closed stage reaches such
    deals with `dbt build --full-refresh` of the model. -#}
{% macro deals_to_restate() -%}
    (
        select n.deal_key
        from {{ ref('int_deal_state_changes') }} as n
        left join (
            select crm_source, max(deal_updated_at) as updated_at from {{ this }} group by crm_source
        ) as w on w.crm_source = n.crm_source
        where n.is_creation
            and (w.updated_at is null or n.deal_updated_at > w.updated_at {{ or_changed_in_window('n.deal_updated_at') }})
        union
        select t.deal_key
        from {{ this }} as t
        inner join {{ ref('int_deal_state_changes') }} as n
            on n.deal_key = t.deal_key and n.is_creation and n.deal_version <> t.deal_version
    )
{%- endmacro %}

{#- A post-hook for the models built per deal from int_deal_state_changes: removes the rows of
    deals gone from it, and of deals whose rows were worked out from another deal_version
    (those re-stated in the run carry the new one). -#}
{% macro delete_rows_of_other_versions() -%}
    {%- set condition -%}
    not exists (
        select 1 from {{ ref('int_deal_state_changes') }} as c
        where c.deal_key = t.deal_key and c.is_creation and c.deal_version = t.deal_version
    )
    {%- endset -%}
    {{ delete_rows(this, condition) }}
{%- endmacro %}

{#- Wraps a model's select (a call block) so that an incremental run returns only the rows
    that differ from those already in the table, every column compared, matched by name: with
    delete+insert on the model's key, only they are written. Runs the model's select as is
    when the table lacks any of its columns (a first build, a full refresh, a new column). -#}
{% macro only_rows_that_differ() -%}
    {%- set model_sql = caller() -%}
    {%- set columns = get_columns_in_query(model_sql) if execute and is_incremental() else [] -%}
    {%- if columns and incremental_with(columns) -%}
        {%- set listed = [] -%}
        {%- for column in columns %}{% do listed.append(adapter.quote(column)) %}{% endfor -%}
select {{ listed | join(', ') }} from ({{ model_sql }}) as worked_out_rows
except
select {{ listed | join(', ') }} from {{ this }}
    {%- else -%}
{{ model_sql }}
    {%- endif -%}
{%- endmacro %}
