-- CSAT / NPS submissions that cannot be used, with why; fct_feedback leaves them out.
{{ quarantine_checks(**hubspot_quarantine('feedback_submissions')) }}
