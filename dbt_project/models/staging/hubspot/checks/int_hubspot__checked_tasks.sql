-- The HubSpot tasks as loaded, each version checked once; quarantine_tasks reads it.
{{ checked_records(**hubspot_quarantine('tasks')) }}
