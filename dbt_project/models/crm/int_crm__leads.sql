{{ crm_union('leads') }}
