-- Contact owner x contact-create month x lifecycle stage: contacts that reached the stage
-- or a later one (skipped stages count as passed) and conversion to the next stage. The
-- owner is the rep as a person (int_rep_identities); an owner the CRM does not list keeps
-- its own key.
with stages as (
    {%- for stage in var('lifecycle_stages') %}
    select '{{ stage }}' as lifecycle_stage, {{ loop.index }} as stage_number
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

cohorts as (
    select
        coalesce(i.rep_key, {{ surrogate_key(['l.crm_source', 'l.owner_id']) }}) as rep_key,
        l.crm_source,
        l.owner_id,
        l.created_month,
        l.furthest_stage_number
    from {{ ref('fct_leads') }} as l
    left join {{ ref('int_rep_identities') }} as i
        on i.crm_source = l.crm_source and i.owner_id = l.owner_id
    where l.owner_id is not null
),

reached as (
    select
        c.rep_key,
        min(c.crm_source) as crm_source,
        min(c.owner_id) as owner_id,
        c.created_month,
        s.lifecycle_stage,
        s.stage_number,
        sum(case when c.furthest_stage_number >= s.stage_number then 1 else 0 end) as contacts_reached
    from cohorts as c
    cross join stages as s
    group by c.rep_key, c.created_month, s.lifecycle_stage, s.stage_number
)

select
    {{ surrogate_key(['r.rep_key', 'r.created_month', 'r.lifecycle_stage']) }} as lead_funnel_row_id,
    r.rep_key,
    coalesce(reps.crm_source, r.crm_source) as crm_source,
    coalesce(reps.owner_id, r.owner_id) as owner_id,
    reps.rep_name,
    reps.team_id,
    reps.team_name,
    r.created_month,
    r.lifecycle_stage,
    r.stage_number,
    cast(r.contacts_reached as integer) as contacts_reached,
    {{ safe_divide('nxt.contacts_reached', 'r.contacts_reached') }} as conversion_to_next
from reached as r
left join reached as nxt
    on nxt.rep_key = r.rep_key
    and nxt.created_month = r.created_month
    and nxt.stage_number = r.stage_number + 1
left join {{ ref('dim_reps') }} as reps on reps.rep_key = r.rep_key
