-- HubSpot adapter: when each lead (contact) first reached each lifecycle stage of
-- var('lifecycle_stages'), from HubSpot's `hs_lifecyclestage_<stage>_date` properties.
with leads as (
    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived
        and contact_id not in (select loaded_id from {{ ref('quarantine_contacts') }})
)
{%- for stage in var('lifecycle_stages') %}

select
    '{{ var("crm_source") }}' as crm_source,
    contact_id as lead_id,
    '{{ stage }}' as lifecycle_stage,
    became_{{ stage }}_at as reached_at
from leads
where became_{{ stage }}_at is not null
{{ "union all" if not loop.last }}
{%- endfor %}
