{{ crm_union('reps') }}
