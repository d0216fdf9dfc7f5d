select
    owner_id,
    user_id,
    first_name,
    last_name,
    full_name as rep_name,
    email,
    team_id,
    team_name,
    is_archived
from {{ ref('int_crm__reps') }}
