-- Every rep identity of every CRM connection (crm_source x owner_id) and the person it is:
-- rep_key. A rep is one person per connection, unless var merge_reps_by_email is on (the
-- default, setting MERGE_REPS_BY_EMAIL) and the same e-mail address (trimmed, any case)
-- belongs to reps of two or more connections: then those identities are one person, keyed
-- by the address, and the first of them by connection name is the person's primary
-- identity (its name, team and ids in dim_reps).
with reps as (
    select
        crm_source,
        owner_id,
        nullif(lower(trim(email)), '') as email_key
    from {{ ref('int_crm__reps') }}
),

shared_emails as (
    select email_key
    from reps
    where email_key is not null
    group by email_key
    having count(distinct crm_source) > 1
),

keyed as (
    select
        r.crm_source,
        r.owner_id,
        {% if var('merge_reps_by_email') -%}
        case
            when s.email_key is not null then {{ surrogate_key(["'email'", 'r.email_key']) }}
            else {{ surrogate_key(['r.crm_source', 'r.owner_id']) }}
        end
        {%- else -%}
        {{ surrogate_key(['r.crm_source', 'r.owner_id']) }}
        {%- endif %} as rep_key
    from reps as r
    left join shared_emails as s on s.email_key = r.email_key
)

select
    crm_source,
    owner_id,
    rep_key,
    row_number() over (partition by rep_key order by crm_source, owner_id) = 1 as is_primary
from keyed
