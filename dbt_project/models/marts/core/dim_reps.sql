-- One row per rep: a person (int_rep_identities), with the name, team and ids of their
-- primary identity. Without shared e-mail addresses across connections (or with
-- merge_reps_by_email off) that is one row per connection x rep.
with identities as (
    select
        rep_key,
        count(*) as identity_count,
        {{ dbt.listagg("distinct crm_source", "', '", "order by crm_source") }} as crm_sources
    from {{ ref('int_rep_identities') }}
    group by rep_key
)

select
    i.rep_key,
    r.crm_source,
    r.owner_id,
    r.user_id,
    r.first_name,
    r.last_name,
    r.full_name as rep_name,
    r.email,
    {{ surrogate_key(['r.crm_source', 'r.team_id']) }} as team_key,
    r.team_id,
    r.team_name,
    r.is_archived,
    cast(n.identity_count as integer) as identity_count,
    n.crm_sources
from {{ ref('int_rep_identities') }} as i
inner join {{ ref('int_crm__reps') }} as r on r.crm_source = i.crm_source and r.owner_id = i.owner_id
inner join identities as n on n.rep_key = i.rep_key
where i.is_primary
