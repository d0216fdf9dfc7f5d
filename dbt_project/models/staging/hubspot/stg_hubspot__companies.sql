select
    crm_source,
    id as company_id,
    properties__name as company_name,
    properties__domain as domain,
    properties__city as city,
    properties__industry as industry,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_timestamptz('properties__createdate') }} as created_at,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'companies') }}
