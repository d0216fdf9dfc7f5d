-- Every record left out of the marts, with the reason and the raw record as loaded.
-- One part per quarantine_<object type> model. dbt resolves refs when it parses, before its
-- graph is filled, so the object types are written here, once: the quarantine share check
-- (orchestration/lib/catalog.py) reads them back from the manifest, and the build stops if
-- a quarantine model is left out.
{#- Each CRM kind's quarantine models, built when a connection of the kind is configured. -#}
{% set parts_by_kind = {
    'hubspot': ['deals', 'calls', 'emails', 'meetings', 'tasks', 'contacts', 'goal_targets', 'feedback_submissions'],
    'salesforce': ['opportunity', 'task', 'event', 'lead', 'forecasting_quota', 'survey_question_response'],
} %}
{% set parts = [] %}
{% for kind in crm_kinds() %}{% do parts.extend(parts_by_kind.get(kind, [])) %}{% endfor %}
{% if execute %}
    {% set left_out = [] %}
    {% for node in graph.nodes.values() if node.resource_type == 'model' and node.name.startswith('quarantine_') %}
        {% if node.config.enabled and node.name.replace('quarantine_', '', 1) not in parts %}{% do left_out.append(node.name) %}{% endif %}
    {% endfor %}
    {% if left_out %}
        {{ exceptions.raise_compiler_error("quarantined_records.sql leaves out " ~ left_out | join(", ") ~ ": add its object type to the parts list there") }}
    {% endif %}
{% endif %}
{% for part in parts %}
select
    {{ surrogate_key(['crm_source', 'object_type', 'loaded_id']) }} as quarantine_id,
    crm_source,
    object_type,
    record_id,
    loaded_id,
    reason,
    raw_record,
    load_id
from {{ ref('quarantine_' ~ part) }}
{{ "union all" if not loop.last }}
{% endfor %}
{% if not parts %}
select
    cast(null as {{ dbt.type_string() }}) as quarantine_id,
    cast(null as {{ dbt.type_string() }}) as crm_source,
    cast(null as {{ dbt.type_string() }}) as object_type,
    cast(null as {{ dbt.type_string() }}) as record_id,
    cast(null as {{ dbt.type_string() }}) as loaded_id,
    cast(null as {{ dbt.type_string() }}) as reason,
    cast(null as {{ dbt.type_string() }}) as raw_record,
    cast(null as {{ dbt.type_string() }}) as load_id
where false
{% endif %}
