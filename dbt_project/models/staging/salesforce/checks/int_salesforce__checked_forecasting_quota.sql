-- The Salesforce forecasting_quota records as loaded, each version checked once; quarantine_forecasting_quota reads it.
{{ checked_records(**salesforce_quarantine('forecasting_quota')) }}
