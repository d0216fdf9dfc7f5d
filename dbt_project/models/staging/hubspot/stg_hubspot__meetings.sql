select
    crm_source,
    id as meeting_id,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_timestamptz('properties__hs_timestamp') }} as occurred_at,
    associated_deal_id as deal_id,
    properties__hs_meeting_title as title,
    {{ parse_timestamptz('properties__hs_meeting_start_time') }} as starts_at,
    {{ parse_timestamptz('properties__hs_meeting_end_time') }} as ends_at,
    properties__hs_meeting_outcome as outcome,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'meetings') }}
