select
    crm_source,
    {{ dbt.concat(['deal_id', "'|'", 'property_name', "'|'", 'cast(changed_at as ' ~ dbt.type_string() ~ ')', "'|'", "coalesce(value, '')"]) }} as deal_property_change_id,
    deal_id,
    property_name,
    nullif(value, '') as value,
    cast(changed_at as {{ type_timestamptz() }}) as changed_at,
    source_type
from {{ crm_raw('hubspot', 'deals__property_history') }}
