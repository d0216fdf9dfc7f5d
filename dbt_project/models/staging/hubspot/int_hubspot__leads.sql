-- HubSpot adapter: leads are contacts that exist and can be used (deleted and quarantined
-- ones left out; a contact merged into another stays, core resolves merges).
select
    '{{ var("crm_source") }}' as crm_source,
    contact_id as lead_id,
    owner_id,
    company_id,
    lifecycle_stage,
    created_at,
    updated_at
from {{ ref('stg_hubspot__contacts') }}
where not is_archived
    and contact_id not in (select loaded_id from {{ ref('quarantine_contacts') }})
