-- The Salesforce event records as loaded, each version checked once; quarantine_event reads it.
{{ checked_records(**salesforce_quarantine('event')) }}
