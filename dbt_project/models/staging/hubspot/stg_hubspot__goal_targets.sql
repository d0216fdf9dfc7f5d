select
    crm_source,
    id as goal_target_id,
    properties__hs_goal_name as goal_name,
    properties__hs_goal_type as goal_type,
    properties__hs_milestone as milestone,
    {{ parse_number('properties__hs_target_amount') }} as target_amount,
    {{ parse_timestamptz('properties__hs_start_datetime') }} as starts_at,
    {{ parse_timestamptz('properties__hs_end_datetime') }} as ends_at,
    cast({{ parse_number('properties__hs_assignee_user_id') }} as {{ dbt.type_bigint() }}) as assignee_user_id,
    {{ parse_timestamptz('properties__hs_lastmodifieddate') }} as updated_at,
    coalesce(archived, false) as is_archived
from {{ crm_raw('hubspot', 'goal_targets') }}
