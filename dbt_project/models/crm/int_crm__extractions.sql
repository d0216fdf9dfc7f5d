{{ crm_union('extractions') }}
