-- The lead funnel and the performance mart agree: for every rep x month of mart_rep_performance_monthly,
-- the contacts of the cohort that reached the first converted stage (var lead_converted_stages, default
-- opportunity) in mart_lead_funnel equal leads_converted, and those that reached the first stage
-- (lead) never exceed leads_created. Returns the rep x months that disagree.
with funnel as (
    select
        rep_key,
        created_month as month_start,
        sum(case when lifecycle_stage = '{{ var("lead_converted_stages")[0] }}' then contacts_reached else 0 end)
            as converted,
        sum(case when stage_number = 1 then contacts_reached else 0 end) as reached_first_stage
    from {{ ref('mart_lead_funnel') }}
    group by 1, 2
)

select m.rep_key, m.month_start, m.leads_created, m.leads_converted, f.converted, f.reached_first_stage
from {{ ref('mart_rep_performance_monthly') }} as m
left join funnel as f on f.rep_key = m.rep_key and f.month_start = m.month_start
where coalesce(f.converted, 0) <> m.leads_converted
   or coalesce(f.reached_first_stage, 0) > m.leads_created
