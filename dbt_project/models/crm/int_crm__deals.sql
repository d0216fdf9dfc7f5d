{{ config(materialized='view') }}
{{ crm_union('deals') }}
