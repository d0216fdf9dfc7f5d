-- A record the CRM deleted is in no fact table: deals, activities, leads and feedback the
-- CRM connections list as deleted (int_crm__deletions) are absent from core. Returns them.
with facts as (
    select crm_source, 'deal' as object_type, deal_id as record_id from {{ ref('fct_deals') }}
    union all
    select crm_source, activity_type, activity_id from {{ ref('fct_activities') }}
    union all
    select crm_source, 'contact', contact_id from {{ ref('fct_leads') }}
    union all
    select crm_source, 'feedback', feedback_submission_id from {{ ref('fct_feedback') }}
)

select d.crm_source, d.object_type, d.record_id
from {{ ref('int_crm__deletions') }} as d
inner join facts as f
    on f.crm_source = d.crm_source and f.object_type = d.object_type and f.record_id = d.record_id
