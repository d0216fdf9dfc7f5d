{#- What makes a HubSpot record unusable, per raw table: the quarantine model
    quarantine_<table> and its checked table int_hubspot__checked_<table> are both built
    from this (macros/quarantine.sql). Checks in the order they are tried, each
    (reason, SQL condition on the raw row `r`), with 'reference' when the condition reads
    another table; reference_columns: the raw columns those conditions read. -#}
{% macro hubspot_quarantine(table) -%}
{%- set owner_not_found = "r.properties__hubspot_owner_id not in (select o.owner_id from " ~ ref('stg_hubspot__owners') ~ " as o where o.crm_source = r.crm_source)" %}
{%- set activity = {
    'object_type': table,
    'checks': [
        ('unparseable_date', "properties__hs_timestamp is null or " ~ fails_to_parse('r.properties__hs_timestamp', parse_timestamptz('r.properties__hs_timestamp'))),
        ('missing_owner', "nullif(trim(r.properties__hubspot_owner_id), '') is null"),
        ('owner_not_found', owner_not_found, 'reference'),
    ],
    'reference_columns': ['properties__hubspot_owner_id'],
} %}
{%- set specs = {
    'calls': activity,
    'emails': activity,
    'meetings': activity,
    'tasks': activity,
    'contacts': {
        'object_type': 'contacts',
        'checks': [
            ('unparseable_date', "properties__createdate is null or " ~ fails_to_parse('r.properties__createdate', parse_timestamptz('r.properties__createdate'))),
            ('owner_not_found', "nullif(trim(r.properties__hubspot_owner_id), '') is not null and " ~ owner_not_found, 'reference'),
        ],
        'reference_columns': ['properties__hubspot_owner_id'],
    },
    'deals': {
        'object_type': 'deals',
        'checks': [
            ('unparseable_date', "properties__createdate is null or " ~ fails_to_parse('r.properties__createdate', parse_timestamptz('r.properties__createdate'))
                ~ " or " ~ fails_to_parse('r.properties__closedate', parse_timestamptz('r.properties__closedate'))),
            ('amount_not_numeric', fails_to_parse('r.properties__amount', parse_number('r.properties__amount'))
                ~ " or " ~ fails_to_parse('r.properties__amount_in_home_currency', parse_number('r.properties__amount_in_home_currency'))),
            ('amount_negative', parse_number('r.properties__amount') ~ " < 0 or " ~ parse_number('r.properties__amount_in_home_currency') ~ " < 0"),
            ('unknown_pipeline', "r.properties__pipeline is null or r.properties__pipeline not in (select p.pipeline_id from " ~ ref('stg_hubspot__deal_pipelines') ~ " as p where p.crm_source = r.crm_source)", 'reference'),
            ('unknown_stage', "not exists (select 1 from " ~ ref('stg_hubspot__deal_pipeline_stages') ~ " as s where s.crm_source = r.crm_source and s.pipeline_id = r.properties__pipeline and s.stage_id = r.properties__dealstage)", 'reference'),
            ('missing_owner', "nullif(trim(r.properties__hubspot_owner_id), '') is null"),
            ('owner_not_found', owner_not_found, 'reference'),
        ],
        'kpi_columns': ['properties__dealstage', 'properties__hubspot_owner_id', 'properties__amount_in_home_currency'],
        'reference_columns': ['properties__pipeline', 'properties__dealstage', 'properties__hubspot_owner_id'],
    },
    'goal_targets': {
        'object_type': 'goal_targets',
        'checks': [
            ('unparseable_date', "properties__hs_start_datetime is null or properties__hs_end_datetime is null or "
                ~ fails_to_parse('r.properties__hs_start_datetime', parse_timestamptz('r.properties__hs_start_datetime')) ~ " or "
                ~ fails_to_parse('r.properties__hs_end_datetime', parse_timestamptz('r.properties__hs_end_datetime'))),
            ('amount_not_numeric', "properties__hs_target_amount is null or " ~ fails_to_parse('r.properties__hs_target_amount', parse_number('r.properties__hs_target_amount'))),
            ('amount_negative', parse_number('r.properties__hs_target_amount') ~ " < 0"),
            ('missing_owner', "nullif(trim(r.properties__hs_assignee_user_id), '') is null"),
            ('owner_not_found', "cast(" ~ parse_number('r.properties__hs_assignee_user_id') ~ " as bigint) not in (select o.user_id from " ~ ref('stg_hubspot__owners') ~ " as o where o.user_id is not null and o.crm_source = r.crm_source)", 'reference'),
        ],
        'reference_columns': ['properties__hs_assignee_user_id'],
    },
    'feedback_submissions': {
        'object_type': 'feedback_submissions',
        'checks': [
            ('unparseable_date', "properties__hs_submission_timestamp is null or " ~ fails_to_parse('r.properties__hs_submission_timestamp', parse_timestamptz('r.properties__hs_submission_timestamp'))),
            ('score_out_of_range', "case upper(r.properties__hs_survey_type) when 'CSAT' then coalesce(" ~ parse_number('r.properties__hs_value') ~ " not between 1 and 5, true)"
                ~ " when 'NPS' then coalesce(" ~ parse_number('r.properties__hs_value') ~ " not between 0 and 10, true) else true end"),
        ],
    },
} %}
{{ return(dict(specs[table], source_table=table)) }}
{%- endmacro %}
