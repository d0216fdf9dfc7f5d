-- The Salesforce task records as loaded, each version checked once; quarantine_task reads it.
{{ checked_records(**salesforce_quarantine('task')) }}
