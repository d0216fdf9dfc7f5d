select
    owner_id,
    id as team_id,
    name as team_name,
    coalesce("primary", false) as is_primary
from {{ source('raw_hubspot', 'owners__teams') }}
