-- Salesforce adapter: accounts that exist, with their owner.
select
    crm_source,
    account_id as company_id,
    account_name as company_name,
    owner_id,
    created_at,
    updated_at
from {{ ref('stg_salesforce__accounts') }}
where not is_deleted
