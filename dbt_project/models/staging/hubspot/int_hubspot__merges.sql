-- HubSpot adapter: records merged into another, as HubSpot lists them on the survivor
-- (`hs_merged_object_ids`), one row per survivor x merged-away id, with CRM-neutral object
-- types (deal, company, contact).
select
    crm_source,
    case object_type
        when 'deals' then 'deal'
        when 'companies' then 'company'
        when 'contacts' then 'contact'
    end as object_type,
    merged_id,
    merged_into_id,
    merged_into_updated_at
from {{ ref('stg_hubspot__merged_records') }}
