-- HubSpot adapter: every change of a deal's stage, home-currency amount, expected close
-- date and owner (HubSpot property history, the current value included as the newest
-- entry), under CRM-neutral property names.
{%- set properties = {
    'dealstage': 'stage',
    'amount_in_home_currency': 'amount_home',
    'closedate': 'expected_close',
    'hubspot_owner_id': 'owner',
} %}
select
    h.crm_source,
    h.deal_id,
    case h.property_name
        {%- for hubspot_name, name in properties.items() %}
        when '{{ hubspot_name }}' then '{{ name }}'
        {%- endfor %}
    end as property,
    h.value,
    h.changed_at
from {{ ref('stg_hubspot__deal_property_history') }} as h
where h.property_name in ('{{ properties.keys() | join("', '") }}')
