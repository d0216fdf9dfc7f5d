{#- True for the int_deal_state_changes row (alias) in force at `instant`: the deal's state
    then (its change at or before it, the next one after it). -#}
{% macro in_force_at(alias, instant) -%}
    {{ alias }}.changed_at <= {{ instant }}
    and ({{ alias }}.next_changed_at is null or {{ alias }}.next_changed_at > {{ instant }})
{%- endmacro %}
