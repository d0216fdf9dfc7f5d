{{ config(materialized='view') }}
{{ crm_union('activities') }}
