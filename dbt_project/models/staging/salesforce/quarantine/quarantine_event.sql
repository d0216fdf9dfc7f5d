-- Events (meetings) that cannot be used, with why; int_salesforce__activities leaves them out.
{{ quarantine_checks(**salesforce_quarantine('event')) }}
