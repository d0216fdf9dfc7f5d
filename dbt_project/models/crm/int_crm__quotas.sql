{{ config(materialized='view') }}
{{ crm_union('quotas') }}
