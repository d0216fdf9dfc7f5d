{#- The activity types of fct_activities, with the HubSpot object each comes from. -#}
{% macro activity_objects() -%}
    {{ return([('call', 'calls'), ('email', 'emails'), ('meeting', 'meetings'), ('task', 'tasks')]) }}
{%- endmacro %}

{#- Activities in quarantine, as (activity_type, activity_id). -#}
{% macro quarantined_activities() -%}
    {%- for type, object in activity_objects() %}
    select '{{ type }}' as activity_type, loaded_id as activity_id from {{ ref('quarantine_' ~ object) }}
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Keys (`<type>:<id>`) of activities that leave fct_activities: deleted (archived) in
    the CRM, or quarantined. -#}
{% macro excluded_activity_keys() -%}
    {%- for type, object in activity_objects() %}
    select '{{ type }}:' || {{ type }}_id from {{ ref('stg_hubspot__' ~ object) }} where is_archived
    union all
    {%- endfor %}
    select activity_type || ':' || activity_id from ({{ quarantined_activities() }})
{%- endmacro %}
