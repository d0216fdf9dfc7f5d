select
    cast(crm_clock_at as {{ type_timestamptz() }}) as crm_clock_at,
    crm_host,
    _dlt_load_id as load_id
from {{ source('raw_hubspot', 'extractions') }}
