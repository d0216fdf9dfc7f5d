-- Deals that cannot be used, with why; fct_deals leaves them out.
{{ quarantine_checks('deals', 'deals', [
    ('unparseable_date', "properties__createdate is null or " ~ fails_to_parse('r.properties__createdate', parse_timestamptz('r.properties__createdate'))
        ~ " or " ~ fails_to_parse('r.properties__closedate', parse_timestamptz('r.properties__closedate'))),
    ('amount_not_numeric', fails_to_parse('r.properties__amount', parse_number('r.properties__amount'))
        ~ " or " ~ fails_to_parse('r.properties__amount_in_home_currency', parse_number('r.properties__amount_in_home_currency'))),
    ('amount_negative', parse_number('r.properties__amount') ~ " < 0 or " ~ parse_number('r.properties__amount_in_home_currency') ~ " < 0"),
    ('unknown_pipeline', "r.properties__pipeline is null or r.properties__pipeline not in (select p.pipeline_id from " ~ ref('stg_hubspot__deal_pipelines') ~ " as p where p.crm_source = r.crm_source)"),
    ('unknown_stage', "not exists (select 1 from " ~ ref('stg_hubspot__deal_pipeline_stages') ~ " as s where s.crm_source = r.crm_source and s.pipeline_id = r.properties__pipeline and s.stage_id = r.properties__dealstage)"),
    ('missing_owner', "nullif(trim(r.properties__hubspot_owner_id), '') is null"),
    ('owner_not_found', "r.properties__hubspot_owner_id not in (select o.owner_id from " ~ ref('stg_hubspot__owners') ~ " as o where o.crm_source = r.crm_source)"),
], kpi_columns=[
    'properties__dealstage', 'properties__hubspot_owner_id', 'properties__amount_in_home_currency',
]) }}
