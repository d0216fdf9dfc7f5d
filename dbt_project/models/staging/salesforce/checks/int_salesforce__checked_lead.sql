-- The Salesforce lead records as loaded, each version checked once; quarantine_lead reads it.
{{ checked_records(**salesforce_quarantine('lead')) }}
