-- HubSpot adapter: every team HubSpot names, whether as a membership or as an owner's
-- primary team (an owner's primary team is normally also one of their memberships).
with named as (
    select crm_source, team_id, team_name from {{ ref('stg_hubspot__owner_teams') }}
    union all
    select crm_source, team_id, team_name from {{ ref('stg_hubspot__owners') }} where team_id is not null
)

select
    crm_source,
    team_id,
    max(team_name) as team_name
from named
group by crm_source, team_id
