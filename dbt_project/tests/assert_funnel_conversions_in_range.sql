-- Funnel conversions are rates: in [0, 1] (with "entered the stage or a later one", the next stage never
-- counts more than this one). Counts are >= 0. Returns the offending funnel rows.
select 'mart_stage_funnel' as mart, funnel_row_id as row_id, conversion_to_next, deals_entered as reached
from {{ ref('mart_stage_funnel') }}
where conversion_to_next not between 0 and 1
   or deals_entered < 0
   or median_days_in_stage < 0
union all
select 'mart_lead_funnel', lead_funnel_row_id, conversion_to_next, contacts_reached
from {{ ref('mart_lead_funnel') }}
where conversion_to_next not between 0 and 1
   or contacts_reached < 0
