{{
    config(
        materialized='incremental',
        unique_key='deal_key',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_key') }}",
        post_hook="{% set c %}deal_key not in (select deal_key from {{ ref('fct_deals') }}){% endset %}{{ delete_rows(this, c) }}",
    )
}}
-- The state of every deal (stage, amount, expected close date, owner) at 00:00 of each
-- reporting-time-zone day, rebuilt from property history, so the pipeline of any past
-- day is known, also for days before the first pipeline run.
-- One row per deal and day from its creation until the first midnight after its final
-- close (or until the data's as-of day while it is open).
-- Incremental: re-states only deals that changed since the last run, or were still open
-- at its end (their days run on), or changed since the run's first partition day (env
-- DBT_WINDOW_START, set by Dagster for a day or a backfill range); each such deal's rows are
-- replaced whole, and rows of deals no longer in fct_deals (archived) are removed. A deal is
-- keyed by deal_key (its connection and id).
{#- A table built before deal_key existed is re-stated whole once (the pre-hook empties it). #}
with as_of as (
    select as_of_date from {{ ref('int_data_as_of') }}
),

history as (
    select * from {{ ref('int_crm__deal_history') }}
),

deals as (
    select
        d.deal_key,
        d.crm_source,
        d.deal_id,
        d.pipeline_id,
        d.created_at,
        d.closed_at,
        greatest(d.updated_at, coalesce(h.last_changed_at, d.updated_at)) as deal_updated_at
    from {{ ref('fct_deals') }} as d
    left join (
        select crm_source, deal_id, max(changed_at) as last_changed_at
        from history
        group by crm_source, deal_id
    ) as h on h.crm_source = d.crm_source and h.deal_id = d.deal_id
    {% if incremental_with(['deal_key']) %}
    where greatest(d.updated_at, coalesce(h.last_changed_at, d.updated_at))
            > (  -- each connection from its own newest change (their loads run apart)
                select coalesce(max(t.deal_updated_at), '1900-01-01') from {{ this }} as t
                where t.crm_source = d.crm_source
            )
        or d.deal_key in (
            select deal_key from {{ this }}
            where date_day = (select max(date_day) from {{ this }})
        )
        {{ or_changed_in_window('greatest(d.updated_at, coalesce(h.last_changed_at, d.updated_at))') }}
    {% endif %}
),

deal_days as (
    select
        d.deal_key,
        d.crm_source,
        d.deal_id,
        d.pipeline_id,
        d.deal_updated_at,
        cal.date_day,
        {{ local_day_start('cal.date_day') }} as state_at
    from deals as d
    cross join as_of as a
    inner join {{ ref('dim_date') }} as cal
        on cal.date_day >= {{ reporting_date('d.created_at') }}
        and cal.date_day <= case
            when d.closed_at is not null
                then least(cast({{ dbt.dateadd('day', 1, reporting_date('d.closed_at')) }} as date), a.as_of_date)
            else a.as_of_date
        end
),

existing_days as (
    select dd.*
    from deal_days as dd
    inner join deals as d on d.deal_key = dd.deal_key
    where dd.state_at >= d.created_at
),

intervals as (
    select
        d.deal_key,
        h.property,
        h.value,
        h.changed_at as valid_from,
        lead(h.changed_at) over (
            partition by d.deal_key, h.property order by h.changed_at
        ) as valid_to
    from history as h
    inner join deals as d  -- only the deals re-stated
        on d.crm_source = h.crm_source and d.deal_id = h.deal_id
),

{% set props = {
    'stage': 'stage_id',
    'amount_home': 'amount_home_raw',
    'expected_close': 'expected_close_raw',
    'owner': 'owner_id',
} %}

state as (
    select
        dd.deal_key,
        dd.crm_source,
        dd.deal_id,
        dd.pipeline_id,
        dd.date_day,
        dd.state_at,
        dd.deal_updated_at
        {%- for prop, column in props.items() %},
        p{{ loop.index }}.value as {{ column }}
        {%- endfor %}
    from existing_days as dd
    {%- for prop, column in props.items() %}
    left join intervals as p{{ loop.index }}
        on p{{ loop.index }}.deal_key = dd.deal_key
        and p{{ loop.index }}.property = '{{ prop }}'
        and p{{ loop.index }}.valid_from <= dd.state_at
        and (p{{ loop.index }}.valid_to is null or dd.state_at < p{{ loop.index }}.valid_to)
    {%- endfor %}
)

select
    {{ surrogate_key(['s.crm_source', 's.deal_id', 's.date_day']) }} as deal_day_id,
    s.deal_id,
    s.date_day,
    s.state_at,
    s.stage_id,
    st.probability as stage_probability,
    coalesce(st.is_closed, false) as is_closed,
    s.stage_id is not null and not coalesce(st.is_closed, false) as is_open,
    s.owner_id,
    {{ parse_number('s.amount_home_raw') }} as amount_home,
    {{ parse_timestamptz('s.expected_close_raw') }} as expected_close_at,
    s.deal_updated_at,
    -- last: a table built before they existed gets them appended (on_schema_change)
    s.deal_key,
    s.crm_source
from state as s
left join {{ ref('int_crm__pipeline_stages') }} as st
    on st.crm_source = s.crm_source and st.pipeline_id = s.pipeline_id and st.stage_id = s.stage_id
