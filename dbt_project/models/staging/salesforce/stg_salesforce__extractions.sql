select
    crm_source,
    cast(crm_clock_at as {{ type_timestamptz() }}) as crm_clock_at,
    crm_host,
    _dlt_load_id as load_id
from {{ crm_raw('salesforce', 'extractions') }}
