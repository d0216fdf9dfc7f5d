select
    crm_source,
    id as contact_id,
    properties__firstname as first_name,
    properties__lastname as last_name,
    properties__email as email,
    properties__lifecyclestage as lifecycle_stage,
    nullif(properties__associatedcompanyid, '') as company_id,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_timestamptz('properties__createdate') }} as created_at,
    {{ parse_timestamptz('properties__lastmodifieddate') }} as updated_at,
    {%- for stage in var('lifecycle_stages') %}
    {{ parse_timestamptz('properties__hs_lifecyclestage_' ~ stage ~ '_date') }} as became_{{ stage }}_at,
    {%- endfor %}
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'contacts') }}
