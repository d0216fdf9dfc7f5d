{{
    config(
        materialized='incremental',
        unique_key='deal_risk_id',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook="{{ empty_if_missing('deal_updated_at') }}",
        post_hook=[
            "{{ delete_rows_of_other_versions() }}",
            "{% set c %}not exists (select 1 from {{ ref('fct_deals') }} as d where d.deal_key = t.deal_key and case when t.evaluation = 'open' then not d.is_closed else d.is_won or d.is_lost end){% endset %}{{ delete_rows(this, c) }}",
        ],
    )
}}
-- Deal risk, explainable (docs/METRICS.md, "Deal risk"): each risk signal of a deal at a
-- moment, each a rule with its thresholds in dbt vars, and the risk level they add up to.
-- Read for every open deal at the data's as-of time (evaluation 'open') and, for the backtest,
-- for every closed deal var risk_backtest_days days before its close, if it was open then
-- (evaluation 'backtest'). The usual quiet and stage durations are those of the evaluation's
-- month (int_risk_baselines: won deals closed before it).
-- Incremental: a run works out every open deal (read at a new as-of time) and the backtest of
-- the deals changed since the newest change here (closed since, too) or re-stated upstream
-- (int_deal_state_changes.deal_version), and of those whose other inputs moved (their last
-- activity before the evaluation, or the usual durations of its month); only rows that differ
-- from those here are written. Rows of deals no longer open (open rows), no longer won or lost
-- (backtest rows), or whose deal_version differs from the one they were worked out from, are
-- removed.
{#- A table built before it was incremental is re-stated whole once (the pre-hook empties it). #}
{%- set restate_some = incremental_with(['deal_key', 'deal_version', 'deal_updated_at']) %}
{% call only_rows_that_differ() %}
with changes as (
    select * from {{ ref('int_deal_state_changes') }} where not is_removed
),

deals as (
    select * from {{ ref('fct_deals') }}
),

all_evaluations as (
    select d.deal_key, d.crm_source, d.deal_id, 'open' as evaluation, a.as_of_at as evaluated_at
    from deals as d
    cross join {{ ref('int_data_as_of') }} as a
    where not d.is_closed
    union all
    select deal_key, crm_source, deal_id, 'backtest', {{ dbt.dateadd('day', -1 * var('risk_backtest_days'), 'closed_at') }}
    from deals
    where is_won or is_lost
),

{% if restate_some %}
-- backtest rows here whose inputs from other deals or from activities moved since
moved as (
    select t.crm_source, t.deal_id
    from {{ this }} as t
    inner join deals as d on d.crm_source = t.crm_source and d.deal_id = t.deal_id
    left join (
        select b.crm_source, b.deal_id, max(a.occurred_at) as last_activity_at
        from {{ this }} as b
        inner join {{ ref('fct_activities') }} as a
            on a.crm_source = b.crm_source and a.deal_id = b.deal_id and a.occurred_at <= b.evaluated_at
        where b.evaluation = 'backtest'
        group by b.crm_source, b.deal_id
    ) as l on l.crm_source = t.crm_source and l.deal_id = t.deal_id
    {{ usual_days_joins('t', reporting_month('t.evaluated_at')) }}
    where t.evaluation = 'backtest'
        and (
            {{ days_between('coalesce(l.last_activity_at, d.created_at)', 't.evaluated_at') }}
                is distinct from t.days_without_activity
            or coalesce(rq.usual_days, cq.usual_days) is distinct from t.usual_quiet_days
            or sb.usual_days is distinct from t.usual_stage_days
        )
),

evaluations as (
    select e.*
    from all_evaluations as e
    where e.evaluation = 'open'
        or e.deal_key in (select deal_key from {{ deals_to_restate() }} as r)
        or exists (select 1 from moved as m where m.crm_source = e.crm_source and m.deal_id = e.deal_id)
),
{% else %}
evaluations as (
    select * from all_evaluations
),
{% endif %}

states as (
    select
        e.evaluation,
        e.evaluated_at,
        c.crm_source,
        c.deal_id,
        d.pipeline_id,
        c.stage_id,
        c.owner_id,
        coalesce(c.amount_home, 0) as amount_home,
        c.expected_close_at,
        {{ reporting_month('e.evaluated_at') }} as evaluated_month
    from evaluations as e
    inner join changes as c
        on c.crm_source = e.crm_source and c.deal_id = e.deal_id
        and {{ in_force_at('c', 'e.evaluated_at') }}
    inner join deals as d on d.crm_source = e.crm_source and d.deal_id = e.deal_id
    where c.is_open
),

histories as (
    select
        s.evaluation,
        s.crm_source,
        s.deal_id,
        sum(case when not c.is_creation and c.expected_close_at > c.previous_expected_close_at then 1 else 0 end)
            as close_pushes,
        max(c.amount_home) as highest_amount_home,
        max(case
            when not c.is_creation and c.owner_id is distinct from c.previous_owner_id
                and c.changed_at > {{ dbt.dateadd('day', -1 * var('risk_owner_change_days'), 's.evaluated_at') }}
                then 1 else 0
        end) = 1 as owner_changed_recently
    from states as s
    inner join changes as c
        on c.crm_source = s.crm_source and c.deal_id = s.deal_id and c.changed_at <= s.evaluated_at
    group by s.evaluation, s.crm_source, s.deal_id
),

last_activities as (
    select s.evaluation, s.crm_source, s.deal_id, max(a.occurred_at) as last_activity_at
    from states as s
    inner join {{ ref('fct_activities') }} as a
        on a.crm_source = s.crm_source and a.deal_id = s.deal_id and a.occurred_at <= s.evaluated_at
    group by s.evaluation, s.crm_source, s.deal_id
),

measured as (
    select
        s.*,
        d.created_at,
        {{ days_between('coalesce(l.last_activity_at, d.created_at)', 's.evaluated_at') }} as days_without_activity,
        {{ days_between('st.entered_at', 's.evaluated_at') }} as days_in_stage,
        h.close_pushes,
        h.highest_amount_home,
        h.owner_changed_recently,
        coalesce(rq.usual_days, cq.usual_days) as usual_quiet_days,
        sb.usual_days as usual_stage_days
    from states as s
    inner join deals as d on d.crm_source = s.crm_source and d.deal_id = s.deal_id
    inner join histories as h
        on h.evaluation = s.evaluation and h.crm_source = s.crm_source and h.deal_id = s.deal_id
    left join last_activities as l
        on l.evaluation = s.evaluation and l.crm_source = s.crm_source and l.deal_id = s.deal_id
    left join {{ ref('int_deal_stage_stays') }} as st
        on st.crm_source = s.crm_source and st.deal_id = s.deal_id
        and st.entered_at <= s.evaluated_at
        and (st.left_at is null or st.left_at > s.evaluated_at)
    {{ usual_days_joins('s', 's.evaluated_month') }}
),

signals as (
    select
        *,
        coalesce(days_without_activity > {{ var('risk_quiet_multiple') }} * usual_quiet_days, false) as is_quiet,
        coalesce(days_in_stage > usual_stage_days, false) as is_stuck,
        close_pushes >= {{ var('risk_close_pushes') }} as is_pushed,
        highest_amount_home > 0
            and amount_home <= (1 - {{ var('risk_amount_cut_share') }}) * highest_amount_home as is_amount_cut,
        owner_changed_recently as is_owner_changed,
        coalesce(expected_close_at < evaluated_at, false) as is_overdue
    from measured
),

counted as (
    select
        *,
        (case when is_quiet then 1 else 0 end)
        + (case when is_stuck then 1 else 0 end)
        + (case when is_pushed then 1 else 0 end)
        + (case when is_amount_cut then 1 else 0 end)
        + (case when is_owner_changed then 1 else 0 end)
        + (case when is_overdue then 1 else 0 end) as signal_count
    from signals
),

worked_out as (
    select
        {{ surrogate_key(['evaluation', 'crm_source', 'deal_id']) }} as deal_risk_id,
        evaluation,
        evaluated_at,
        crm_source,
        deal_id,
        pipeline_id,
        stage_id,
        owner_id,
        amount_home,
        expected_close_at,
        days_without_activity,
        usual_quiet_days,
        days_in_stage,
        usual_stage_days,
        cast(close_pushes as integer) as close_pushes,
        highest_amount_home,
        is_quiet,
        is_stuck,
        is_pushed,
        is_amount_cut,
        is_owner_changed,
        is_overdue,
        cast(signal_count as integer) as signal_count,
        case
            when signal_count >= {{ var('risk_high_signals') }} then 'high'
            when signal_count >= {{ var('risk_medium_signals') }} then 'medium'
            else 'low'
        end as risk_level,
        concat_ws('; ',
            case when is_quiet then 'no activity for ' || {{ days_text('days_without_activity') }}
                || ' days (won deals usually go quiet for ' || {{ days_text('usual_quiet_days') }} || ')' end,
            case when is_stuck then 'in its stage for ' || {{ days_text('days_in_stage') }}
                || ' days (won deals: ' || {{ days_text('usual_stage_days') }} || ')' end,
            case when is_pushed then 'close date pushed ' || cast(close_pushes as {{ dbt.type_string() }}) || ' times' end,
            case when is_amount_cut then 'amount cut ' || cast(cast(round(100 * (1 - amount_home / highest_amount_home)) as integer) as {{ dbt.type_string() }})
                || '% from its highest' end,
            case when is_owner_changed then 'owner changed in the last {{ var("risk_owner_change_days") }} days' end,
            case when is_overdue then 'expected close date has passed' end
        ) as risk_reasons
    from counted
),

versioned as (
    select w.*, v.deal_key, v.deal_version, v.deal_updated_at
    from worked_out as w
    inner join {{ ref('int_deal_state_changes') }} as v
        on v.crm_source = w.crm_source and v.deal_id = w.deal_id and v.is_creation
)

select * from versioned
{% endcall %}
