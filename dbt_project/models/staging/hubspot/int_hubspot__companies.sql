-- HubSpot adapter: companies (accounts) that exist, with their owner.
select
    crm_source,
    company_id,
    company_name,
    owner_id,
    created_at,
    updated_at
from {{ ref('stg_hubspot__companies') }}
where not is_archived
