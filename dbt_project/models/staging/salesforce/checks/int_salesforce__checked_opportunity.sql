-- The Salesforce opportunity records as loaded, each version checked once; quarantine_opportunity reads it.
{{ checked_records(**salesforce_quarantine('opportunity')) }}
