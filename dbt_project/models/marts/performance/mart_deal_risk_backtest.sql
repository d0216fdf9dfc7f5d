-- Do the risk rules work? (docs/METRICS.md, "Deal risk"): the deals closed (won or lost) in
-- each month, by the risk level they had var risk_backtest_days days before their close, with
-- the share lost; and for each signal, how many had it and how many of those were lost. Deals
-- not yet open then (created later) are in risk_level 'not_open'.
{%- set signals = ['quiet', 'stuck', 'pushed', 'amount_cut', 'owner_changed', 'overdue'] %}
with closed as (
    select
        d.closed_month,
        d.is_lost,
        coalesce(r.risk_level, 'not_open') as risk_level
        {%- for signal in signals %},
        coalesce(r.is_{{ signal }}, false) as is_{{ signal }}
        {%- endfor %}
    from {{ ref('fct_deals') }} as d
    left join {{ ref('int_deal_risk_signals') }} as r
        on r.evaluation = 'backtest' and r.crm_source = d.crm_source and r.deal_id = d.deal_id
    where d.is_won or d.is_lost
)

select
    {{ surrogate_key(['closed_month', 'risk_level']) }} as risk_backtest_id,
    closed_month,
    risk_level,
    cast(count(*) as integer) as closed_deals,
    cast(sum(case when is_lost then 0 else 1 end) as integer) as won_deals,
    cast(sum(case when is_lost then 1 else 0 end) as integer) as lost_deals,
    {{ safe_divide('sum(case when is_lost then 1 else 0 end)', 'count(*)') }} as lost_share
    {%- for signal in signals %},
    cast(sum(case when is_{{ signal }} then 1 else 0 end) as integer) as {{ signal }}_deals,
    cast(sum(case when is_{{ signal }} and is_lost then 1 else 0 end) as integer) as {{ signal }}_lost_deals
    {%- endfor %}
from closed
group by closed_month, risk_level
