-- The HubSpot deals as loaded, each version checked once; quarantine_deals reads it.
{{ checked_records(**hubspot_quarantine('deals')) }}
