{{ crm_union('feedback') }}
