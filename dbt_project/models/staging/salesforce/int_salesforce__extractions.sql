-- Salesforce adapter: one row per extraction, with the org's own clock then (its Date header).
select
    crm_source,
    crm_clock_at,
    load_id
from {{ ref('stg_salesforce__extractions') }}
