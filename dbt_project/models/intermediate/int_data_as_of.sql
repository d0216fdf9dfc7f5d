-- The point the warehouse's CRM data describes: the start of the reporting-time-zone day
-- after the newest change it holds. Periods still running are measured up to here.
with newest as (
    select max(t) as newest_change_at
    from (
        select max(changed_at) as t from {{ ref('stg_hubspot__deal_property_history') }}
        union all
        select max(occurred_at) from {{ ref('fct_activities') }}
        union all
        select max(submitted_at) from {{ ref('stg_hubspot__feedback_submissions') }}
        union all
        select max(updated_at) from {{ ref('stg_hubspot__contacts') }}
    ) as changes
)

select
    newest_change_at,
    cast({{ dbt.dateadd('day', 1, reporting_date('newest_change_at')) }} as date) as as_of_date,
    {{ local_day_start(dbt.dateadd('day', 1, reporting_date('newest_change_at'))) }} as as_of_at
from newest
