-- Goal targets (quotas) that cannot be used, with why; quotas leave them out.
{{ quarantine_checks(**hubspot_quarantine('goal_targets')) }}
