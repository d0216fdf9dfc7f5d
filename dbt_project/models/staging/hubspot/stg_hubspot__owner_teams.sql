select
    crm_source,
    owner_id,
    id as team_id,
    name as team_name,
    coalesce("primary", false) as is_primary
from {{ crm_raw('hubspot', 'owners__teams') }}
