-- Salesforce adapter: when each lead reached each stage. Created: the first stage of
-- var('lifecycle_stages'). A Status change (LeadHistory): the stage the new status maps to
-- (var('salesforce_lead_statuses')). Converted: the first stage of
-- var('lead_converted_stages'), at the `leadConverted` history row, else at the start of
-- ConvertedDate. A lead whose status change is not in the history (field history off, or
-- older than the first load) reached its current status's stage by its last modification.
with leads as (
    select l.* from {{ ref('stg_salesforce__leads') }} as l
    where not l.is_deleted
        and not exists (
            select 1 from {{ ref('quarantine_lead') }} as q
            where q.crm_source = l.crm_source and q.loaded_id = l.lead_id
        )
),

history as (
    select * from {{ ref('stg_salesforce__lead_history') }} where not is_deleted
),

statuses as (
    {%- for status, stage in var('salesforce_lead_statuses').items() %}
    select '{{ status }}' as status, '{{ stage }}' as lifecycle_stage
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

reached as (
    select crm_source, lead_id, '{{ var('lifecycle_stages')[0] }}' as lifecycle_stage, created_at as reached_at
    from leads
    union all
    select h.crm_source, h.lead_id, s.lifecycle_stage, h.changed_at
    from history as h
    inner join statuses as s on s.status = h.new_value
    where h.field = 'Status'
    union all
    select l.crm_source, l.lead_id, s.lifecycle_stage, l.updated_at
    from leads as l
    inner join statuses as s on s.status = l.status
    where not l.is_converted
    union all
    select
        l.crm_source,
        l.lead_id,
        '{{ var('lead_converted_stages')[0] }}',
        coalesce(min(h.changed_at), {{ local_day_start('l.converted_date') }})
    from leads as l
    left join history as h
        on h.crm_source = l.crm_source and h.lead_id = l.lead_id and h.field = 'leadConverted'
    where l.is_converted
    group by l.crm_source, l.lead_id, l.converted_date
)

select r.crm_source, r.lead_id, r.lifecycle_stage, min(r.reached_at) as reached_at
from reached as r
inner join leads as l on l.crm_source = r.crm_source and l.lead_id = r.lead_id
group by r.crm_source, r.lead_id, r.lifecycle_stage
