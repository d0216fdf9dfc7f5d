{{ crm_union('activities') }}
