{{ config(materialized='view') }}
{{ crm_union('deletions') }}
