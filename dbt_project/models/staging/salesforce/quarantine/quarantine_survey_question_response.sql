-- Survey answers (CSAT / NPS scores) that cannot be used, with why; int_salesforce__feedback leaves them out.
{{ quarantine_checks(**salesforce_quarantine('survey_question_response')) }}
