-- Emails that cannot be used, with why; fct_activities leaves them out.
{{ quarantine_checks(**hubspot_quarantine('emails')) }}
