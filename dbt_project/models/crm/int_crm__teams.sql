{{ crm_union('teams') }}
