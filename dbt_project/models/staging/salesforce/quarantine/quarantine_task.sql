-- Tasks (calls, e-mails, to-dos) that cannot be used, with why; int_salesforce__activities leaves them out.
{{ quarantine_checks(**salesforce_quarantine('task')) }}
