-- One row per contact (lead) with the time it reached each lifecycle stage.
-- Converted = reached one of var('lead_converted_stages'), skipped stages included.
with merges as (
    select object_type, merged_id, merged_into_id from {{ ref('int_merges_resolved') }}
),

contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived
        and contact_id not in (select loaded_id from {{ ref('quarantine_contacts') }})
        -- merged into another contact: gone from the CRM, though raw keeps its last row
        and contact_id not in (select merged_id from merges where object_type = 'contacts')
),

staged as (
    select
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
    left join merges as m on m.object_type = 'companies' and m.merged_id = c.company_id
)

select
    *,
    {{ reporting_month('created_at') }} as created_month,
    converted_at is not null as is_converted,
    {{ days_between('created_at', 'converted_at') }} as days_to_convert
from staged
