-- Salesforce adapter: leads that exist and can be used (deleted and quarantined ones left
-- out; a lead owned by a queue has no rep). A converted lead is at the first stage of
-- var('lead_converted_stages'); another is at the stage its Status maps to
-- (var('salesforce_lead_statuses')). Its company is the account it was converted into.
select
    crm_source,
    lead_id,
    case when owner_id like '005%' then owner_id end as owner_id,
    converted_account_id as company_id,
    case
        when is_converted then '{{ var('lead_converted_stages')[0] }}'
        {%- for status, stage in var('salesforce_lead_statuses').items() %}
        when status = '{{ status }}' then '{{ stage }}'
        {%- endfor %}
    end as lifecycle_stage,
    created_at,
    updated_at
from {{ ref('stg_salesforce__leads') }} as l
where not is_deleted
    and not exists (
        select 1 from {{ ref('quarantine_lead') }} as q
        where q.crm_source = l.crm_source and q.loaded_id = l.lead_id
    )
