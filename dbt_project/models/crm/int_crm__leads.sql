{{ config(materialized='view') }}
{{ crm_union('leads') }}
