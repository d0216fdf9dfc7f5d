-- Every record left out of the marts, with the reason and the raw record as loaded.
{% set parts = ['deals', 'calls', 'emails', 'meetings', 'tasks', 'contacts', 'goal_targets', 'feedback_submissions'] %}
{% for part in parts %}
select
    {{ surrogate_key(['object_type', 'loaded_id']) }} as quarantine_id,
    object_type,
    record_id,
    loaded_id,
    reason,
    raw_record,
    load_id
from {{ ref('quarantine_' ~ part) }}
{{ "union all" if not loop.last }}
{% endfor %}
