select
    crm_source,
    id as call_id,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_timestamptz('properties__hs_timestamp') }} as occurred_at,
    associated_deal_id as deal_id,
    properties__hs_call_title as title,
    properties__hs_call_direction as direction,
    properties__hs_call_disposition as disposition_id,
    {{ parse_number('properties__hs_call_duration') }} / 1000 as duration_seconds,
    properties__hs_call_status as call_status,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'calls') }}
