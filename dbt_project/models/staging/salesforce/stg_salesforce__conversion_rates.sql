-- Each currency's conversion rate (units per one of the corporate currency) over a range
-- of days: the dated rates where the org keeps them (advanced currency management), the
-- currency's single rate otherwise. An org without multiple currencies has neither (every
-- amount is in its one currency, macro salesforce_to_home).
{%- set dated = crm_raw_exists('salesforce', 'dated_conversion_rate') %}
{%- set types = crm_raw_exists('salesforce', 'currency_type') %}
with dated as (
    {%- if dated %}
    select
        crm_source,
        iso_code as currency_code,
        cast(conversion_rate as double) as conversion_rate,
        start_date as valid_from,
        coalesce(next_start_date, date '9999-12-31') as valid_until
    from {{ crm_raw('salesforce', 'dated_conversion_rate', optional=true) }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as crm_source,
        cast(null as {{ dbt.type_string() }}) as currency_code,
        cast(null as double) as conversion_rate,
        cast(null as date) as valid_from,
        cast(null as date) as valid_until
    where false
    {%- endif %}
)

select * from dated
{%- if types %}
union all
select
    crm_source,
    iso_code as currency_code,
    cast(conversion_rate as double) as conversion_rate,
    date '0001-01-01' as valid_from,
    date '9999-12-31' as valid_until
from {{ crm_raw('salesforce', 'currency_type', optional=true) }} as c
where not exists (
    select 1 from dated as d where d.crm_source = c.crm_source and d.currency_code = c.iso_code
)
{%- endif %}
