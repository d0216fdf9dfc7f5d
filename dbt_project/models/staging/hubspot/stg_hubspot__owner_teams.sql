select
    crm_source,
    owner_id,
    id as team_id,
    name as team_name,
    coalesce({{ adapter.quote('primary') }}, false) as is_primary
from {{ crm_raw('hubspot', 'owners__teams') }}
