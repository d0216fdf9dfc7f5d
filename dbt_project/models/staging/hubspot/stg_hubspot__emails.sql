select
    crm_source,
    id as email_id,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_timestamptz('properties__hs_timestamp') }} as occurred_at,
    associated_deal_id as deal_id,
    properties__hs_email_subject as subject,
    properties__hs_email_direction as direction,
    properties__hs_email_status as email_status,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'emails') }}
