-- A record the CRM deleted is in no fact table: deals, activities, leads and feedback the
-- CRM connections list as deleted (int_crm__deletions) are absent from core. Returns them.
with deleted as (
    select crm_source, object_type, record_id from {{ ref('int_crm__deletions') }}
)

select d.crm_source, d.object_type, d.record_id
from deleted as d
inner join {{ ref('fct_deals') }} as f
    on d.object_type = 'deal' and f.crm_source = d.crm_source and f.deal_id = d.record_id
union all
select d.crm_source, d.object_type, d.record_id
from deleted as d
inner join {{ ref('fct_activities') }} as f
    on d.object_type = f.activity_type and f.crm_source = d.crm_source and f.activity_id = d.record_id
union all
select d.crm_source, d.object_type, d.record_id
from deleted as d
inner join {{ ref('fct_leads') }} as f
    on d.object_type = 'contact' and f.crm_source = d.crm_source and f.contact_id = d.record_id
union all
select d.crm_source, d.object_type, d.record_id
from deleted as d
inner join {{ ref('fct_feedback') }} as f
    on d.object_type = 'feedback' and f.crm_source = d.crm_source
    and f.feedback_submission_id = d.record_id
