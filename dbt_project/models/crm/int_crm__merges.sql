{{ crm_union('merges') }}
