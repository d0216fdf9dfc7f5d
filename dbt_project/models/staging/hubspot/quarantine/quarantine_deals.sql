-- Deals that cannot be used, with why; fct_deals leaves them out.
{{ quarantine_checks(**hubspot_quarantine('deals')) }}
