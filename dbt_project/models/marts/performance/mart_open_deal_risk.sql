-- Every open deal with its risk level and the signals behind it, in words (docs/METRICS.md,
-- "Deal risk"), as of the data's as-of time: what a manager goes through first.
select
    r.deal_risk_id as open_deal_risk_id,
    d.deal_key,
    r.crm_source,
    r.deal_id,
    d.deal_name,
    r.owner_id,
    p.rep_key,
    p.rep_name,
    p.team_id,
    p.team_name,
    r.pipeline_id,
    r.stage_id,
    d.stage_label,
    r.amount_home,
    r.expected_close_at,
    r.evaluated_at,
    r.risk_level,
    r.signal_count,
    r.risk_reasons,
    r.is_quiet,
    r.is_stuck,
    r.is_pushed,
    r.is_amount_cut,
    r.is_owner_changed,
    r.is_overdue,
    r.days_without_activity,
    r.usual_quiet_days,
    r.days_in_stage,
    r.usual_stage_days,
    r.close_pushes,
    r.highest_amount_home
from {{ ref('int_deal_risk_signals') }} as r
inner join {{ ref('fct_deals') }} as d on d.crm_source = r.crm_source and d.deal_id = r.deal_id
left join {{ ref('int_rep_identities') }} as i on i.crm_source = r.crm_source and i.owner_id = r.owner_id
left join {{ ref('dim_reps') }} as p on p.rep_key = i.rep_key
where r.evaluation = 'open'
