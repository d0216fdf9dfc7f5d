{{
    config(
        materialized='incremental',
        unique_key=['deal_key', 'period_type', 'period_start', 'week_number'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_updated_at') }}",
        post_hook="{{ delete_rows_of_other_versions() }}",
    )
}}
-- Each deal in a period's pipeline (open and expected to close in the period) at 00:00 on the
-- first day of the period and every 7th day after it, up to the data's as-of day, with the
-- forecast category its owner had called then: the rows mart_forecast_calls sums by rep,
-- team and company. One row per deal x period (month and fiscal quarter) x week.
-- Incremental: a run re-states the deals changed since the newest change here (each
-- connection from its own; with DBT_WINDOW_START, since it) and those whose rows here were
-- worked out from another int_deal_state_changes.deal_version, and adds every deal's rows for
-- the weeks begun since; rows of deals whose changes differ or are gone are removed.
{#- A table built before it was incremental is re-stated whole once (the pre-hook empties it). -#}
{%- set restate_some = incremental_with(['deal_version', 'deal_updated_at']) %}
with snapshots as (
    select * from {{ period_weeks() }} as w
),

-- open, and expected to close in one of the periods (the others are in no period's pipeline)
changes as (
    select * from {{ ref('int_deal_state_changes') }}
    where is_open
        and expected_close_at >= (select min(period_start_at) from {{ ref('int_reporting_periods') }})
        and expected_close_at < (select max(next_period_start_at) from {{ ref('int_reporting_periods') }})
),

{% if restate_some %}
-- the changed deals at every week, every deal at the weeks begun since
restated_changes as (
    select * from changes where deal_key in (select deal_key from {{ deals_to_restate() }} as r)
),

new_snapshots as (
    select * from snapshots
    where week_start > (select coalesce(max(week_start), '1900-01-01') from {{ this }})
),

wanted as (
    select c.*, s.*
    from restated_changes as c
    inner join snapshots as s
        on {{ in_force_at('c', 's.week_start_at') }}
    union
    select c.*, s.*
    from changes as c
    inner join new_snapshots as s
        on {{ in_force_at('c', 's.week_start_at') }}
),
{% else %}
wanted as (
    select c.*, s.*
    from changes as c
    inner join snapshots as s
        on {{ in_force_at('c', 's.week_start_at') }}
),
{% endif %}

called as (
    select *
    from wanted
    where expected_close_at >= period_start_at and expected_close_at < next_period_start_at
)

select
    period_type,
    period_start,
    week_number,
    week_start,
    crm_source,
    deal_id,
    owner_id,
    coalesce(amount_home, 0) as amount_home,
    case
        when forecast_category in ('commit', 'closed') then 'commit'
        when forecast_category = 'best_case' then 'best_case'
        when forecast_category = 'omit' then 'omitted'
        else 'pipeline'
    end as category,
    deal_key,
    deal_version,
    deal_updated_at
from called
