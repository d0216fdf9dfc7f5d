-- The HubSpot goal targets as loaded, each version checked once; quarantine_goal_targets reads it.
{{ checked_records(**hubspot_quarantine('goal_targets')) }}
