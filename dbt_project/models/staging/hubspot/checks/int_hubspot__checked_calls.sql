-- The HubSpot calls as loaded, each version checked once; quarantine_calls reads it.
{{ checked_records(**hubspot_quarantine('calls')) }}
