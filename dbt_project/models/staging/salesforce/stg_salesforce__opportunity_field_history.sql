-- Tracked field changes of opportunities. A reference field's change is two rows, the ids
-- (data_type EntityId) and the names (Text); `created` marks the record's creation.
select
    crm_source,
    id as field_history_id,
    opportunity_id,
    field,
    data_type,
    cast(old_value as {{ dbt.type_string() }}) as old_value,
    cast(new_value as {{ dbt.type_string() }}) as new_value,
    coalesce(is_deleted, false) as is_deleted,
    created_date as changed_at
from {{ crm_raw('salesforce', 'opportunity_field_history') }}
