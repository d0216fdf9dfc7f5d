select
    crm_source,
    id as deal_id,
    properties__dealname as deal_name,
    properties__pipeline as pipeline_id,
    properties__dealstage as stage_id,
    nullif(properties__hubspot_owner_id, '') as owner_id,
    {{ parse_number('properties__amount') }} as amount,
    upper(nullif(properties__deal_currency_code, '')) as currency_code,
    {{ parse_number('properties__amount_in_home_currency') }} as amount_home,
    {{ parse_timestamptz('properties__createdate') }} as created_at,
    {{ parse_timestamptz('properties__closedate') }} as close_date_property,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived,
    -- when it was deleted: HubSpot's archivedAt (its record's updatedAt before one was loaded)
    {% if crm_raw_has_column('hubspot', 'deals', 'archived_at') -%}
    case when archived then coalesce(raw.archived_at, raw.updated_at) end
    {%- else -%}
    case when archived then raw.updated_at end
    {%- endif %} as archived_at
from {{ crm_raw('hubspot', 'deals') }} as raw
