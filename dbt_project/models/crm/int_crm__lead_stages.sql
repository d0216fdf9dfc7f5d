{{ crm_union('lead_stages') }}
