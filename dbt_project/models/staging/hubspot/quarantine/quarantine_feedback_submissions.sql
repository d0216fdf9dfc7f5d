-- CSAT / NPS submissions that cannot be used, with why; fct_feedback leaves them out.
{{ quarantine_checks('feedback_submissions', 'feedback_submissions', [
    ('unparseable_date', "properties__hs_submission_timestamp is null or " ~ fails_to_parse('r.properties__hs_submission_timestamp', parse_timestamptz('r.properties__hs_submission_timestamp'))),
    ('score_out_of_range', "case upper(r.properties__hs_survey_type) when 'CSAT' then coalesce(" ~ parse_number('r.properties__hs_value') ~ " not between 1 and 5, true)"
        ~ " when 'NPS' then coalesce(" ~ parse_number('r.properties__hs_value') ~ " not between 0 and 10, true) else true end"),
]) }}
