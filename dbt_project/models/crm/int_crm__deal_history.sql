{{ crm_union('deal_history') }}
