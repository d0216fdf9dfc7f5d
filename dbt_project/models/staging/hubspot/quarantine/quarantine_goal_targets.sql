-- Goal targets (quotas) that cannot be used, with why; quotas leave them out.
{{ quarantine_checks('goal_targets', 'goal_targets', [
    ('unparseable_date', "properties__hs_start_datetime is null or properties__hs_end_datetime is null or "
        ~ fails_to_parse('r.properties__hs_start_datetime', parse_timestamptz('r.properties__hs_start_datetime')) ~ " or "
        ~ fails_to_parse('r.properties__hs_end_datetime', parse_timestamptz('r.properties__hs_end_datetime'))),
    ('amount_not_numeric', "properties__hs_target_amount is null or " ~ fails_to_parse('r.properties__hs_target_amount', parse_number('r.properties__hs_target_amount'))),
    ('amount_negative', parse_number('r.properties__hs_target_amount') ~ " < 0"),
    ('missing_owner', "nullif(trim(r.properties__hs_assignee_user_id), '') is null"),
    ('owner_not_found', "cast(" ~ parse_number('r.properties__hs_assignee_user_id') ~ " as bigint) not in (select o.user_id from " ~ ref('stg_hubspot__owners') ~ " as o where o.user_id is not null and o.crm_source = r.crm_source)"),
]) }}
