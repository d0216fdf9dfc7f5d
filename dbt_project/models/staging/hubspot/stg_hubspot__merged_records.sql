-- Records merged into another in HubSpot, one row per surviving record x merged-away id,
-- unpacked from the survivor's `hs_merged_object_ids` (';'-separated). A merged-away record
-- is never listed again, so the raw row it had before the merge stays as it was loaded;
-- int_merges_resolved turns this list into one survivor per merged-away id.
{%- set merged_objects = [
    ('companies', 'hs_lastmodifieddate'),
    ('contacts', 'lastmodifieddate'),
    ('deals', 'hs_lastmodifieddate'),
] %}
with surviving as (
    {%- for object_type, modified in merged_objects %}
    select
        crm_source,
        '{{ object_type }}' as object_type,
        id as merged_into_id,
        properties__hs_merged_object_ids as merged_object_ids,
        {{ parse_timestamptz('properties__' ~ modified) }} as merged_into_updated_at
    from {{ crm_raw('hubspot', object_type) }}
    where nullif(trim(properties__hs_merged_object_ids), '') is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

unpacked as (
    select
        s.crm_source,
        s.object_type,
        trim(ids.merged_id) as merged_id,
        s.merged_into_id,
        s.merged_into_updated_at
    from surviving as s
    cross join {{ split_to_rows('s.merged_object_ids', ';', 'ids', 'merged_id') }}
)

select distinct
    crm_source,
    object_type,
    merged_id,
    merged_into_id,
    merged_into_updated_at
from unpacked
where merged_id <> '' and merged_id <> merged_into_id
