-- Tracked changes of leads: Status changes, and `leadConverted` at the conversion.
select
    crm_source,
    id as lead_history_id,
    lead_id,
    field,
    cast(old_value as {{ dbt.type_string() }}) as old_value,
    cast(new_value as {{ dbt.type_string() }}) as new_value,
    coalesce(is_deleted, false) as is_deleted,
    created_date as changed_at
from {{ crm_raw('salesforce', 'lead_history') }}
