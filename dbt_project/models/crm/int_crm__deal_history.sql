{{ config(materialized='view') }}
{{ crm_union('deal_history') }}
