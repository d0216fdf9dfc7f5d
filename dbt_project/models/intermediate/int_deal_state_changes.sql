{{
    config(
        materialized='incremental',
        unique_key='deal_key',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_version') }}",
        post_hook="{% set c %}t.deal_key not in (select deal_key from {{ ref('fct_deals') }}) and not exists (select 1 from {{ this }} as r where r.deal_key = t.deal_key and r.is_removed){% endset %}{{ delete_rows(this, c) }}",
    )
}}
-- Every change of every deal the CRM has or had, with the deal's whole state after it and
-- before it: stage (open, won, closed), home-currency amount, expected close, owner and
-- forecast category. Deals
-- deleted or merged away since are kept until then and end with a row of their own
-- (is_removed), so the pipeline of a past period is what it was, not what is left of it.
-- The input of the pipeline waterfall (int_deal_pipeline_moves), the forecast calls
-- (mart_forecast_calls) and the deal risk (int_deal_risk_signals). One row per deal x instant
-- at which any of them changed; a deal's first row is its creation.
-- Incremental: a run re-states the deals changed since the newest change already here (each
-- connection from its own), those deleted or merged away since, those whose stage a pipeline
-- edit made closed, won or open, and with DBT_WINDOW_START (a partition day or a backfill
-- range) those changed since it; each such deal's rows are replaced whole, and rows of deals
-- neither in fct_deals nor removed are removed.
{#- A table built before it was incremental is re-stated whole once (the pre-hook empties it). -#}
{%- set restate_some = incremental_with(['deal_updated_at', 'deal_version']) %}
{%- set props = {
    'stage': 'stage_id',
    'amount_home': 'amount_home_raw',
    'expected_close': 'expected_close_raw',
    'owner': 'owner_id',
    'forecast_category': 'forecast_category',
} %}
with removals as (
    select crm_source, deal_id, min(removed_at) as removed_at
    from (
        select crm_source, record_id as deal_id, deleted_at as removed_at
        from {{ ref('int_crm__deletions') }}
        where object_type = 'deal'
        union all
        select crm_source, merged_id, merged_into_updated_at
        from {{ ref('int_crm__merges') }}
        where object_type = 'deal'
    ) as r
    group by crm_source, deal_id
),

all_deals as (
    select deal_key, crm_source, deal_id, pipeline_id, updated_at, cast(null as {{ type_timestamptz() }}) as removed_at
    from {{ ref('fct_deals') }}
    union all
    select
        {{ surrogate_key(['r.crm_source', 'r.deal_id']) }},
        r.crm_source,
        r.deal_id,
        cast(null as {{ dbt.type_string() }}),
        r.removed_at,
        r.removed_at
    from removals as r
    where not exists (
        select 1 from {{ ref('fct_deals') }} as f
        where f.crm_source = r.crm_source and f.deal_id = r.deal_id
    )
),

{% if restate_some %}
-- each connection from its own newest change (their loads run apart)
watermarks as (
    select crm_source, max(deal_updated_at) as updated_at
    from {{ this }}
    group by crm_source
),

stage_flags as (
    select crm_source, stage_id, bool_or(is_closed) as is_closed, bool_or(is_won) as is_won
    from {{ ref('int_crm__pipeline_stages') }}
    group by crm_source, stage_id
),

restated as (
    select d.crm_source, d.deal_id
    from all_deals as d
    left join watermarks as w on w.crm_source = d.crm_source
    where w.updated_at is null
        or d.updated_at > w.updated_at
        {{ or_changed_in_window('d.updated_at') }}
    union
    select h.crm_source, h.deal_id
    from {{ ref('int_crm__deal_history') }} as h
    left join watermarks as w on w.crm_source = h.crm_source
    where w.updated_at is null
        or h.changed_at > w.updated_at
        {{ or_changed_in_window('h.changed_at') }}
    union
    -- removed since (no removal row here yet)
    select d.crm_source, d.deal_id
    from all_deals as d
    where d.removed_at is not null
        and not exists (select 1 from {{ this }} as t where t.deal_key = d.deal_key and t.is_removed)
    union
    -- a pipeline edit made a stage closed, won or open
    select t.crm_source, t.deal_id
    from {{ this }} as t
    left join stage_flags as s on s.crm_source = t.crm_source and s.stage_id = t.stage_id
    where not t.is_removed and t.stage_id is not null
        and (t.is_closed <> coalesce(s.is_closed, false) or t.is_won <> coalesce(s.is_won, false))
),
{% endif %}

deals as (
    select d.*
    from all_deals as d
    {% if restate_some %}
    inner join restated as r on r.crm_source = d.crm_source and r.deal_id = d.deal_id
    {% endif %}
),

history as (
    select h.crm_source, h.deal_id, h.property, h.value, h.changed_at
    from {{ ref('int_crm__deal_history') }} as h
    inner join deals as d on d.crm_source = h.crm_source and d.deal_id = h.deal_id
    where h.property in ('{{ props.keys() | join("', '") }}')
        and (d.removed_at is null or h.changed_at <= d.removed_at)
),

-- One row per deal x instant: the values set then (of several at one instant, the largest),
-- a value set to NULL (cleared) as the empty string, so that it differs from "not set".
instants as (
    select
        crm_source,
        deal_id,
        changed_at
        {%- for prop, column in props.items() %},
        max(case when property = '{{ prop }}' then coalesce(value, '') end) as set_{{ column }}
        {%- endfor %}
    from history
    group by crm_source, deal_id, changed_at
),

-- A property keeps its value until it is set again (also to NULL): every instant takes the
-- latest value set so far (one ordered pass for all of them).
filled as (
    select
        crm_source,
        deal_id,
        changed_at
        {%- for column in props.values() %},
        nullif({{ last_value_so_far('set_' ~ column) }} over deal_order, '') as {{ column }}
        {%- endfor %}
    from instants
    window deal_order as (
        partition by crm_source, deal_id order by changed_at rows between unbounded preceding and current row
    )
),

-- A deal removed from the CRM has no pipeline to look its stages up in: its stage ids are
-- looked up in the connection's pipelines (stage ids are unique within a connection).
stage_pipelines as (
    select crm_source, stage_id, min(pipeline_id) as pipeline_id
    from {{ ref('int_crm__pipeline_stages') }}
    group by crm_source, stage_id
),

states as (
    select
        f.crm_source,
        f.deal_id,
        f.changed_at,
        false as is_removed,
        f.stage_id,
        f.stage_id is not null and not coalesce(s.is_closed, false) as is_open,
        coalesce(s.is_closed, false) as is_closed,
        coalesce(s.is_won, false) as is_won,
        {{ parse_number('f.amount_home_raw') }} as amount_home,
        {{ parse_timestamptz('f.expected_close_raw') }} as expected_close_at,
        f.owner_id,
        f.forecast_category
    from filled as f
    inner join deals as d on d.crm_source = f.crm_source and d.deal_id = f.deal_id
    left join stage_pipelines as sp
        on d.pipeline_id is null and sp.crm_source = f.crm_source and sp.stage_id = f.stage_id
    left join {{ ref('int_crm__pipeline_stages') }} as s
        on s.crm_source = f.crm_source
        and s.pipeline_id = coalesce(d.pipeline_id, sp.pipeline_id)
        and s.stage_id = f.stage_id
    union all
    -- the removal (not before the deal's last change, kept above): no state after it
    select
        d.crm_source,
        d.deal_id,
        d.removed_at,
        true,
        cast(null as {{ dbt.type_string() }}),
        false,
        false,
        false,
        cast(null as {{ dbt.type_numeric() }}),
        cast(null as {{ type_timestamptz() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }})
    from deals as d
    where d.removed_at is not null
        and exists (select 1 from history as h where h.crm_source = d.crm_source and h.deal_id = d.deal_id)
),

-- what the deal's rows were worked out from: its newest change, update or removal
versions as (
    select
        d.crm_source,
        d.deal_id,
        d.deal_key,
        greatest(d.updated_at, coalesce(max(h.changed_at), d.updated_at), coalesce(d.removed_at, d.updated_at))
            as deal_updated_at
    from deals as d
    left join history as h on h.crm_source = d.crm_source and h.deal_id = d.deal_id
    group by d.crm_source, d.deal_id, d.deal_key, d.updated_at, d.removed_at
),

sequenced as (
    select
        s.*,
        row_number() over w as change_number,
        lag(s.is_open) over w as was_open,
        lag(s.is_closed) over w as was_closed,
        lag(s.amount_home) over w as previous_amount_home,
        lag(s.expected_close_at) over w as previous_expected_close_at,
        lag(s.owner_id) over w as previous_owner_id,
        lead(s.changed_at) over w as next_changed_at
    from states as s
    window w as (partition by s.crm_source, s.deal_id order by s.changed_at, s.is_removed)
),

-- a fingerprint of the deal's rows: the models built from them re-state the deals whose
-- fingerprint changed
{%- set fingerprinted = [] %}
{%- for column in ['changed_at', 'is_removed', 'stage_id', 'is_open', 'is_closed', 'is_won', 'amount_home', 'expected_close_at', 'owner_id', 'forecast_category'] %}
{%- do fingerprinted.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") %}
{%- endfor %}
fingerprints as (
    select
        crm_source,
        deal_id,
        md5({{ dbt.listagg(
            "concat_ws('|', " ~ fingerprinted | join(", ") ~ ")",
            "';'",
            "order by change_number",
        ) }}) as deal_version
    from sequenced
    group by crm_source, deal_id
)

select
    {{ surrogate_key(['s.crm_source', 's.deal_id', 's.change_number']) }} as deal_change_id,
    s.crm_source,
    s.deal_id,
    s.change_number,
    s.changed_at,
    s.next_changed_at,
    s.change_number = 1 as is_creation,
    s.is_removed,
    s.stage_id,
    s.is_open,
    s.is_closed,
    s.is_won,
    s.amount_home,
    s.expected_close_at,
    s.owner_id,
    s.forecast_category,
    coalesce(s.was_open, false) as was_open,
    coalesce(s.was_closed, false) as was_closed,
    s.previous_amount_home,
    s.previous_expected_close_at,
    s.previous_owner_id,
    v.deal_key,
    v.deal_updated_at,
    f.deal_version
from sequenced as s
inner join versions as v on v.crm_source = s.crm_source and v.deal_id = s.deal_id
inner join fingerprints as f on f.crm_source = s.crm_source and f.deal_id = s.deal_id
