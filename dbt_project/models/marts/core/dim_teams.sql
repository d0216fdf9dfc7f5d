select
    team_id,
    max(team_name) as team_name,
    count(*) as rep_count
from {{ ref('stg_hubspot__owners') }}
where team_id is not null and not is_archived
group by team_id
