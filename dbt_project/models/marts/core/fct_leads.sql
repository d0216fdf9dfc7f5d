-- One row per contact (lead) with the time it reached each lifecycle stage.
-- Converted = reached one of var('lead_converted_stages'), skipped stages included.
with merges as (
    select crm_source, object_type, merged_id, merged_into_id from {{ ref('int_merges_resolved') }}
),

leads as (
    select l.* from {{ ref('int_crm__leads') }} as l
    -- merged into another lead: gone from the CRM, though raw keeps its last row
    where not exists (
        select 1 from merges as m
        where m.object_type = 'contact' and m.crm_source = l.crm_source and m.merged_id = l.lead_id
    )
),

stage_dates as (
    select
        crm_source,
        lead_id
        {%- for stage in var('lifecycle_stages') %},
        min(case when lifecycle_stage = '{{ stage }}' then reached_at end) as became_{{ stage }}_at
        {%- endfor %}
    from {{ ref('int_crm__lead_stages') }}
    group by crm_source, lead_id
),

contacts as (
    select
        l.crm_source,
        l.lead_id as contact_id,
        l.owner_id,
        l.company_id,
        l.lifecycle_stage,
        l.created_at
        {%- for stage in var('lifecycle_stages') %},
        s.became_{{ stage }}_at
        {%- endfor %}
    from leads as l
    left join stage_dates as s on s.crm_source = l.crm_source and s.lead_id = l.lead_id
),

staged as (
    select
        c.crm_source,
        c.contact_id,
        c.owner_id,
        coalesce(m.merged_into_id, c.company_id) as company_id,
        lifecycle_stage,
        created_at,
        {%- for stage in var('lifecycle_stages') %}
        became_{{ stage }}_at,
        {%- endfor %}
        {#- furthest stage reached, as its position in var('lifecycle_stages') -#}
        greatest(
            {%- for stage in var('lifecycle_stages') %}
            case when became_{{ stage }}_at is not null then {{ loop.index }} else 0 end{{ "," if not loop.last }}
            {%- endfor %}
        ) as furthest_stage_number,
        {%- set converted = var('lead_converted_stages') %}
        {%- set ns = namespace(expr="cast(null as " ~ type_timestamptz() ~ ")") %}
        {%- for stage in converted %}
            {%- set ns.expr = "case when became_" ~ stage ~ "_at is not null and (" ~ ns.expr ~ " is null or became_" ~ stage ~ "_at < " ~ ns.expr ~ ") then became_" ~ stage ~ "_at else " ~ ns.expr ~ " end" %}
        {%- endfor %}
        {{ ns.expr }} as converted_at
    from contacts as c
    left join merges as m
        on m.crm_source = c.crm_source and m.object_type = 'company' and m.merged_id = c.company_id
)

select
    *,
    {{ reporting_month('created_at') }} as created_month,
    converted_at is not null as is_converted,
    {{ days_between('created_at', 'converted_at') }} as days_to_convert
from staged
