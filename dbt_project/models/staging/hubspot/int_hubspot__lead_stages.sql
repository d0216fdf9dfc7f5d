-- HubSpot adapter: when each lead (contact) first reached each lifecycle stage of
-- var('lifecycle_stages'), from HubSpot's `hs_lifecyclestage_<stage>_date` properties.
with leads as (
    select c.* from {{ ref('stg_hubspot__contacts') }} as c
    where not c.is_archived
        and not exists (
            select 1 from {{ ref('quarantine_contacts') }} as q
            where q.crm_source = c.crm_source and q.loaded_id = c.contact_id
        )
)
{%- for stage in var('lifecycle_stages') %}

select
    crm_source,
    contact_id as lead_id,
    '{{ stage }}' as lifecycle_stage,
    became_{{ stage }}_at as reached_at
from leads
where became_{{ stage }}_at is not null
{{ "union all" if not loop.last }}
{%- endfor %}
