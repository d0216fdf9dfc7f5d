{{ config(materialized='view') }}
{{ crm_union('merges') }}
