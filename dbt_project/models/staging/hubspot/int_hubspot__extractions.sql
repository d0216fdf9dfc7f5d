-- HubSpot adapter: one row per extraction, with the CRM's own clock then (its Date header).
select
    '{{ var("crm_source") }}' as crm_source,
    crm_clock_at,
    load_id
from {{ ref('stg_hubspot__extractions') }}
