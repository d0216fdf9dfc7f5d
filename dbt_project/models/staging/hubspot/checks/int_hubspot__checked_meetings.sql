-- The HubSpot meetings as loaded, each version checked once; quarantine_meetings reads it.
{{ checked_records(**hubspot_quarantine('meetings')) }}
