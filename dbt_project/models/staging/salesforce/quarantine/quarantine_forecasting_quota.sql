-- Quotas that cannot be used, with why; int_salesforce__quotas leaves them out.
{{ quarantine_checks(**salesforce_quarantine('forecasting_quota')) }}
