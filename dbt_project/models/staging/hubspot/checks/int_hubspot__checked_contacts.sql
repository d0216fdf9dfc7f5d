-- The HubSpot contacts as loaded, each version checked once; quarantine_contacts reads it.
{{ checked_records(**hubspot_quarantine('contacts')) }}
