-- The merge map: one row per merged-away CRM record (company, contact, deal) with the
-- record it lives on in now. A raw row loaded before a later merge can still list ids that
-- moved on (A absorbed B, then C absorbed A): candidates that were themselves merged away
-- are followed to their survivor, up to max_depth merges deep, and of several survivors
-- the most recently modified one wins (HubSpot keeps every merged id on the newest).
{%- set max_depth = 3 %}
with merges as (
    select crm_source, object_type, merged_id, merged_into_id, merged_into_updated_at
    from {{ ref('int_crm__merges') }}
),

hop_0 as (
    select * from merges
),
{%- for depth in range(1, max_depth + 1) %}

hop_{{ depth }} as (
    select
        h.crm_source,
        h.object_type,
        h.merged_id,
        coalesce(m.merged_into_id, h.merged_into_id) as merged_into_id,
        coalesce(m.merged_into_updated_at, h.merged_into_updated_at) as merged_into_updated_at
    from hop_{{ depth - 1 }} as h
    left join merges as m
        on m.crm_source = h.crm_source
        and m.object_type = h.object_type
        and m.merged_id = h.merged_into_id
        and m.merged_into_id <> h.merged_id  -- two records listing each other: stop
),
{%- endfor %}

ranked as (
    select
        h.crm_source,
        h.object_type,
        h.merged_id,
        h.merged_into_id,
        row_number() over (
            partition by h.crm_source, h.object_type, h.merged_id
            order by
                case when gone.merged_id is null then 0 else 1 end,
                h.merged_into_updated_at desc nulls last,
                h.merged_into_id
        ) as preference
    from hop_{{ max_depth }} as h
    left join (select distinct crm_source, object_type, merged_id from merges) as gone
        on gone.crm_source = h.crm_source
        and gone.object_type = h.object_type
        and gone.merged_id = h.merged_into_id
    where h.merged_into_id <> h.merged_id
)

select crm_source, object_type, merged_id, merged_into_id
from ranked
where preference = 1
