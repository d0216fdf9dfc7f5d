-- One row per rep of every CRM connection. rep_key identifies the rep across the
-- warehouse: a CRM's owner ids are unique only within its connection.
select
    {{ surrogate_key(['crm_source', 'owner_id']) }} as rep_key,
    crm_source,
    owner_id,
    user_id,
    first_name,
    last_name,
    full_name as rep_name,
    email,
    {{ surrogate_key(['crm_source', 'team_id']) }} as team_key,
    team_id,
    team_name,
    is_archived
from {{ ref('int_crm__reps') }}
