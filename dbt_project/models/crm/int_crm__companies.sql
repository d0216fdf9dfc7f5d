{{ config(materialized='view') }}
{{ crm_union('companies') }}
