-- HubSpot adapter: every change of a deal's stage, home-currency amount, expected close
-- date, owner and forecast category (HubSpot property history, the current value included
-- as the newest entry), under CRM-neutral property names. The forecast category is the one
-- the owner set (`hs_manual_forecast_category`: PIPELINE, BEST_CASE, COMMIT, CLOSED, OMIT),
-- in lower case.
{%- set properties = {
    'dealstage': 'stage',
    'amount_in_home_currency': 'amount_home',
    'closedate': 'expected_close',
    'hubspot_owner_id': 'owner',
    'hs_manual_forecast_category': 'forecast_category',
} %}
select
    h.crm_source,
    h.deal_id,
    case h.property_name
        {%- for hubspot_name, name in properties.items() %}
        when '{{ hubspot_name }}' then '{{ name }}'
        {%- endfor %}
    end as property,
    case
        when h.property_name = 'hs_manual_forecast_category' then lower(h.value)
        else h.value
    end as value,
    h.changed_at
from {{ ref('stg_hubspot__deal_property_history') }} as h
where h.property_name in ('{{ properties.keys() | join("', '") }}')
