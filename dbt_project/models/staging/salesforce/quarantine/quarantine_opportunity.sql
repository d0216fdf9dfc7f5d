-- Opportunities that cannot be used, with why; int_salesforce__deals leaves them out.
{{ quarantine_checks(**salesforce_quarantine('opportunity')) }}
