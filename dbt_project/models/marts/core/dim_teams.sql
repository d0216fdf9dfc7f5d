-- One row per team of every CRM connection that has reps.
select
    {{ surrogate_key(['crm_source', 'team_id']) }} as team_key,
    crm_source,
    team_id,
    max(team_name) as team_name,
    cast(sum(case when is_archived then 0 else 1 end) as bigint) as rep_count
from {{ ref('int_crm__reps') }}
where team_id is not null
group by crm_source, team_id
