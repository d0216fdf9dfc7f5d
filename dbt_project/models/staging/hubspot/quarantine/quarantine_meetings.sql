-- Meetings that cannot be used, with why; fct_activities leaves them out.
{{ quarantine_checks('meetings', 'meetings', [
    ('unparseable_date', "properties__hs_timestamp is null or " ~ fails_to_parse('r.properties__hs_timestamp', parse_timestamptz('r.properties__hs_timestamp'))),
    ('missing_owner', "nullif(trim(r.properties__hubspot_owner_id), '') is null"),
    ('owner_not_found', "r.properties__hubspot_owner_id not in (select o.owner_id from " ~ ref('stg_hubspot__owners') ~ " as o where o.crm_source = r.crm_source)"),
]) }}
