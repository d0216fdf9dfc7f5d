-- The HubSpot feedback submissions as loaded, each version checked once; quarantine_feedback_submissions reads it.
{{ checked_records(**hubspot_quarantine('feedback_submissions')) }}
