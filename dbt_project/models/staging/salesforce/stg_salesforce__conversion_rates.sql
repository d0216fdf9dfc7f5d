-- Each currency's conversion rate (units per one of the corporate currency) over a range
-- of days: the dated rates where the org keeps them (advanced currency management), the
-- currency's single rate otherwise.
with dated as (
    select
        crm_source,
        iso_code as currency_code,
        cast(conversion_rate as double) as conversion_rate,
        start_date as valid_from,
        coalesce(next_start_date, date '9999-12-31') as valid_until
    from {{ crm_raw('salesforce', 'dated_conversion_rate') }}
),

single as (
    select
        crm_source,
        iso_code as currency_code,
        cast(conversion_rate as double) as conversion_rate,
        date '0001-01-01' as valid_from,
        date '9999-12-31' as valid_until
    from {{ crm_raw('salesforce', 'currency_type') }} as c
    where not exists (
        select 1 from dated as d where d.crm_source = c.crm_source and d.currency_code = c.iso_code
    )
)

select * from dated
union all
select * from single
