{{ crm_union('deals') }}
