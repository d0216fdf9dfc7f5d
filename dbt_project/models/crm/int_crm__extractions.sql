{{ config(materialized='view') }}
{{ crm_union('extractions') }}
