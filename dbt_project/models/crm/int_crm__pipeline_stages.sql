{{ crm_union('pipeline_stages') }}
