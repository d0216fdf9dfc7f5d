{{ config(materialized='view') }}
{{ crm_union('feedback') }}
