-- Contact owner x contact-create month x lifecycle stage: contacts that reached the stage
-- or a later one (skipped stages count as passed) and conversion to the next stage.
with stages as (
    {%- for stage in var('lifecycle_stages') %}
    select '{{ stage }}' as lifecycle_stage, {{ loop.index }} as stage_number
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

cohorts as (
    select crm_source, owner_id, created_month, furthest_stage_number
    from {{ ref('fct_leads') }}
    where owner_id is not null
),

reached as (
    select
        c.crm_source,
        c.owner_id,
        c.created_month,
        s.lifecycle_stage,
        s.stage_number,
        sum(case when c.furthest_stage_number >= s.stage_number then 1 else 0 end) as contacts_reached
    from cohorts as c
    cross join stages as s
    group by 1, 2, 3, 4, 5
)

select
    {{ surrogate_key(['r.crm_source', 'r.owner_id', 'r.created_month', 'r.lifecycle_stage']) }} as lead_funnel_row_id,
    reps.rep_key,
    r.crm_source,
    r.owner_id,
    reps.rep_name,
    reps.team_id,
    r.created_month,
    r.lifecycle_stage,
    r.stage_number,
    cast(r.contacts_reached as integer) as contacts_reached,
    {{ safe_divide('nxt.contacts_reached', 'r.contacts_reached') }} as conversion_to_next
from reached as r
left join reached as nxt
    on nxt.crm_source = r.crm_source
    and nxt.owner_id = r.owner_id
    and nxt.created_month = r.created_month
    and nxt.stage_number = r.stage_number + 1
left join {{ ref('dim_reps') }} as reps on reps.crm_source = r.crm_source and reps.owner_id = r.owner_id
