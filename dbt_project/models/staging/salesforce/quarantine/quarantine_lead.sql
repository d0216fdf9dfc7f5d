-- Leads that cannot be used, with why; int_salesforce__leads and __lead_stages leave them out.
{{ quarantine_checks(**salesforce_quarantine('lead')) }}
