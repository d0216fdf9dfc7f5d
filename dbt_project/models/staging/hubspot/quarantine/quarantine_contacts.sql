-- Contacts (leads) that cannot be used, with why; fct_leads leaves them out.
-- A contact without an owner is valid (unassigned lead).
{{ quarantine_checks('contacts', 'contacts', [
    ('unparseable_date', "properties__createdate is null or " ~ fails_to_parse('r.properties__createdate', parse_timestamptz('r.properties__createdate'))),
    ('owner_not_found', "nullif(trim(r.properties__hubspot_owner_id), '') is not null and r.properties__hubspot_owner_id not in (select o.owner_id from " ~ ref('stg_hubspot__owners') ~ " as o where o.crm_source = r.crm_source)"),
]) }}
