-- Contacts (leads) that cannot be used, with why; fct_leads leaves them out.
-- A contact without an owner is valid (unassigned lead).
{{ quarantine_checks(**hubspot_quarantine('contacts')) }}
