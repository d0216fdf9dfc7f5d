-- HubSpot adapter: one row per extraction, with the CRM's own clock then (its Date header).
select
    crm_source,
    crm_clock_at,
    load_id
from {{ ref('stg_hubspot__extractions') }}
