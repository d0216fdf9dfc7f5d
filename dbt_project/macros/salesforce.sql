{#- (Qualify the arguments with their table alias: the subqueries have columns of the same names.)
    An amount of a Salesforce org in the home currency (var home_currency), converted as
    Salesforce converts: divided by its currency's rate on `day` (units per one of the
    corporate currency, stg_salesforce__conversion_rates) and multiplied by the home
    currency's rate then (1 when the home currency is the corporate one), to the cent. -#}
{% macro salesforce_to_home(amount, currency, day, crm_source) -%}
    cast(case when {{ currency }} = '{{ var('home_currency') }}' then round({{ amount }}, 2) else round(
        {{ amount }}
        / (select r.conversion_rate from {{ ref('stg_salesforce__conversion_rates') }} as r
           where r.crm_source = {{ crm_source }} and r.currency_code = {{ currency }}
               and {{ day }} >= r.valid_from and {{ day }} < r.valid_until)
        * (select r.conversion_rate from {{ ref('stg_salesforce__conversion_rates') }} as r
           where r.crm_source = {{ crm_source }} and r.currency_code = '{{ var('home_currency') }}'
               and {{ day }} >= r.valid_from and {{ day }} < r.valid_until),
        2) end as decimal(28, 6))
{%- endmacro %}

{#- A record's currency: its CurrencyIsoCode, or, in an org without multiple currencies (no
    such field), the home currency (var home_currency: set HOME_CURRENCY to the org's
    currency). -#}
{% macro salesforce_currency(table, alias=none) -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {%- if crm_raw_has_column('salesforce', table, 'currency_iso_code') -%}
        coalesce({{ prefix }}currency_iso_code, '{{ var('home_currency') }}')
    {%- else -%}
        '{{ var('home_currency') }}'
    {%- endif -%}
{%- endmacro %}
