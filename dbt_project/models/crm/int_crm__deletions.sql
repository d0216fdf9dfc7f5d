{{ crm_union('deletions') }}
