-- Salesforce adapter: leads that exist. A converted lead is at the first stage of
-- var('lead_converted_stages'); another is at the stage its Status maps to
-- (var('salesforce_lead_statuses')). Its company is the account it was converted into.
select
    crm_source,
    lead_id,
    owner_id,
    converted_account_id as company_id,
    case
        when is_converted then '{{ var('lead_converted_stages')[0] }}'
        {%- for status, stage in var('salesforce_lead_statuses').items() %}
        when status = '{{ status }}' then '{{ stage }}'
        {%- endfor %}
    end as lifecycle_stage,
    created_at,
    updated_at
from {{ ref('stg_salesforce__leads') }}
where not is_deleted
