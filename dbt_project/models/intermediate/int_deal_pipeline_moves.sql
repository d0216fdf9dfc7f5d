{{
    config(
        materialized='incremental',
        unique_key='deal_key',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_updated_at') }}",
        post_hook="{{ delete_rows_of_other_versions() }}",
    )
}}
-- What moved each deal in or out of a period's pipeline, or changed its amount there: the
-- pipeline waterfall's rows before they are summed by rep, team or company
-- (mart_pipeline_waterfall). A period's pipeline is the deals open and expected to close in
-- it (as open_pipeline_start); for every month and fiscal quarter:
--   balance 'start' / 'end': each deal in it at 00:00 on the first day / at the period's end;
--   'change': each change of a deal (int_deal_state_changes) after the start and up to the
--   end that had the deal in the pipeline before it, after it, or both, with how it came in
--   (created, pulled_in, reopened) or went out (won, lost, pushed_out, deleted).
-- Who is credited, transfers between reps and amount edits are worked out per grain by the
-- mart, from the owners and amounts before and after.
-- Incremental: a run re-states the deals changed since the newest change here (each
-- connection from its own; with DBT_WINDOW_START, since it), those whose rows here were worked
-- out from another int_deal_state_changes.deal_version, and every deal when a new period has
-- begun; each such deal's rows are replaced whole, and rows of deals whose changes differ or
-- are gone are removed. A period's end moving with the data needs no re-statement:
-- the deals that changed since are re-stated, the others are as they were.
{#- A table built before it was incremental is re-stated whole once (the pre-hook empties it). -#}
{%- set restate_some = incremental_with(['deal_version', 'deal_updated_at']) %}
with periods as (
    select * from {{ ref('int_reporting_periods') }}
),

changes as (
    select c.*
    from {{ ref('int_deal_state_changes') }} as c
    {% if restate_some %}
    where (select max(period_start) from periods) > (select coalesce(max(period_start), '1900-01-01') from {{ this }})
        or c.deal_key in (select deal_key from {{ deals_to_restate() }} as r)
    {% endif %}
),

{% set in_period = "{0}is_open and {0}expected_close_at >= p.period_start_at and {0}expected_close_at < p.next_period_start_at" %}
moves as (
    select
        p.period_type,
        p.period_start,
        'change' as row_kind,
        c.crm_source,
        c.deal_id,
        c.changed_at,
        coalesce(c.was_open and c.previous_expected_close_at >= p.period_start_at
            and c.previous_expected_close_at < p.next_period_start_at, false) as was_in_pipeline,
        coalesce({{ in_period.format('c.') }}, false) as is_in_pipeline,
        case
            when c.is_creation then 'created'
            when c.was_closed then 'reopened'
            else 'pulled_in'
        end as entry_move,
        case
            when c.is_removed then 'deleted'
            when c.is_won then 'won'
            when c.is_closed then 'lost'
            else 'pushed_out'
        end as exit_move,
        c.previous_owner_id,
        c.owner_id,
        coalesce(c.previous_amount_home, 0) as previous_amount_home,
        -- a removed deal leaves with the amount it had
        case when c.is_removed then coalesce(c.previous_amount_home, 0) else coalesce(c.amount_home, 0) end
            as amount_home,
        c.deal_key,
        c.deal_version,
        c.deal_updated_at
    from changes as c
    inner join periods as p
        on c.changed_at > p.period_start_at and c.changed_at <= p.period_end_at
),

balances as (
    {%- for kind, at in [('start', 'period_start_at'), ('end', 'period_end_at')] %}
    select
        p.period_type,
        p.period_start,
        '{{ kind }}' as row_kind,
        c.crm_source,
        c.deal_id,
        cast(null as {{ type_timestamptz() }}) as changed_at,
        true as was_in_pipeline,
        true as is_in_pipeline,
        cast(null as {{ dbt.type_string() }}) as entry_move,
        cast(null as {{ dbt.type_string() }}) as exit_move,
        c.owner_id as previous_owner_id,
        c.owner_id,
        coalesce(c.amount_home, 0) as previous_amount_home,
        coalesce(c.amount_home, 0) as amount_home,
        c.deal_key,
        c.deal_version,
        c.deal_updated_at
    from changes as c
    inner join periods as p
        on {{ in_force_at('c', 'p.' ~ at) }}
    where {{ in_period.format('c.') }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from moves
where was_in_pipeline or is_in_pipeline
union all
select * from balances
