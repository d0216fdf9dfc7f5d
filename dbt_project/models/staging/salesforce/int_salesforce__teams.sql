-- Salesforce adapter: teams are the roles of the role hierarchy.
select
    crm_source,
    role_id as team_id,
    role_name as team_name
from {{ ref('stg_salesforce__user_roles') }}
