-- The HubSpot emails as loaded, each version checked once; quarantine_emails reads it.
{{ checked_records(**hubspot_quarantine('emails')) }}
