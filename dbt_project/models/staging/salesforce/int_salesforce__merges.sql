-- Salesforce adapter: accounts and leads merged into another (the merged-away record is
-- deleted with MasterRecordId naming the survivor), as CRM-neutral object types.
{%- for object_type, model, id_column in [('company', 'stg_salesforce__accounts', 'account_id'), ('contact', 'stg_salesforce__leads', 'lead_id')] %}
select
    m.crm_source,
    '{{ object_type }}' as object_type,
    m.{{ id_column }} as merged_id,
    m.master_record_id as merged_into_id,
    s.updated_at as merged_into_updated_at
from {{ ref(model) }} as m
left join {{ ref(model) }} as s
    on s.crm_source = m.crm_source and s.{{ id_column }} = m.master_record_id
where m.is_deleted and m.master_record_id is not null
{{ "union all" if not loop.last }}
{%- endfor %}
