{{
    config(
        materialized='incremental',
        unique_key='deal_key',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_updated_at') }}",
        post_hook="{% set c %}deal_key not in (select deal_key from {{ ref('fct_deals') }}){% endset %}{{ delete_rows(this, c) }}",
    )
}}
-- Each deal open at 00:00 on the first day of a reporting month, with its state then:
-- the owner credited, the amount, the stage probability, whether it was expected to close
-- in that month, and whether it was still open when the month ended (slipped).
-- Incremental (a full rebuild read every deal's every day): a run re-states the deals that
-- changed since the newest change already here, every deal with a state on or after the
-- start of the newest month already here (open, or closed since: that month's period end
-- moves with the data), the deals a changed qualified_min_probability qualifies otherwise,
-- and with DBT_WINDOW_START (a partition day or a backfill range) the deals changed since
-- it. Each such deal's rows are replaced whole, and rows of deals no longer in fct_deals
-- are removed.
{#- A table built before it was incremental is re-stated whole once (the pre-hook empties it). -#}
{%- set restate_some = incremental_with(['deal_updated_at']) %}
with months as (
    select * from {{ ref('int_reporting_months') }}
),

{% if restate_some %}
restated as (
    select distinct s.deal_key
    from {{ ref('int_deal_state_daily') }} as s
    -- each connection from its own newest change (their loads run apart)
    where s.deal_updated_at > (
        select coalesce(max(t.deal_updated_at), '1900-01-01') from {{ this }} as t
        where t.crm_source = s.crm_source
    )
        or s.date_day >= (select coalesce(max(t.month_start), '1900-01-01') from {{ this }} as t)
        -- qualified_min_probability changed since: the deals it re-qualifies
        or s.deal_key in (
            select t.deal_key from {{ this }} as t
            where t.is_qualified is distinct from (t.stage_probability >= {{ var('qualified_min_probability') }})
        )
        {{ or_changed_in_window('s.deal_updated_at') }}
),
{% endif %}

states as (
    select * from {{ ref('int_deal_state_daily') }}
    {% if restate_some %}
    where deal_key in (select deal_key from restated)
    {% endif %}
),

at_start as (
    select
        m.month_start,
        m.next_month_start_at,
        m.period_end_date,
        s.*
    from months as m
    inner join states as s on s.date_day = m.month_start
    where s.is_open
)

select
    {{ surrogate_key(['a.crm_source', 'a.deal_id', 'a.month_start']) }} as deal_month_id,
    a.crm_source,
    a.deal_id,
    a.month_start,
    a.owner_id,
    coalesce(a.amount_home, 0) as amount_home,
    a.stage_id,
    a.stage_probability,
    a.stage_probability >= {{ var('qualified_min_probability') }} as is_qualified,
    a.expected_close_at >= a.state_at and a.expected_close_at < a.next_month_start_at
        as is_expected_in_month,
    coalesce(e.is_open, false) as is_open_at_period_end,
    a.deal_key,
    a.deal_updated_at
from at_start as a
left join states as e on e.deal_key = a.deal_key and e.date_day = a.period_end_date
