{{ config(materialized='view') }}
{{ crm_union('lead_stages') }}
