-- Salesforce adapter: records deleted in Salesforce (IsDeleted, read through queryAll), with
-- when (their last modification, the deletion). Every other adapter model leaves them out.
select crm_source, 'deal' as object_type, opportunity_id as record_id, updated_at as deleted_at
from {{ ref('stg_salesforce__opportunities') }} where is_deleted
union all
select crm_source, 'company', account_id, updated_at from {{ ref('stg_salesforce__accounts') }} where is_deleted
union all
select crm_source, 'contact', lead_id, updated_at from {{ ref('stg_salesforce__leads') }} where is_deleted
union all
select
    crm_source,
    case task_subtype when 'Call' then 'call' when 'Email' then 'email' else 'task' end,
    task_id,
    updated_at
from {{ ref('stg_salesforce__tasks') }} where is_deleted
union all
select crm_source, 'meeting', event_id, updated_at from {{ ref('stg_salesforce__events') }} where is_deleted
