-- HubSpot adapter: leads are contacts that exist and can be used (deleted and quarantined
-- ones left out; a contact merged into another stays, core resolves merges).
select
    c.crm_source,
    c.contact_id as lead_id,
    c.owner_id,
    c.company_id,
    c.lifecycle_stage,
    c.created_at,
    c.updated_at
from {{ ref('stg_hubspot__contacts') }} as c
where not c.is_archived
    and not exists (
        select 1 from {{ ref('quarantine_contacts') }} as q
        where q.crm_source = c.crm_source and q.loaded_id = c.contact_id
    )
