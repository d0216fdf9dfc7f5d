{{ crm_union('quotas') }}
