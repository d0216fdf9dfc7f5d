{{ crm_union('companies') }}
