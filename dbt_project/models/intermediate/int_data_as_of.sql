-- The moment the warehouse's CRM data describes: the CRM's own clock at the newest
-- extraction (its Date header), not the machine's clock, and not the newest change (a quiet
-- CRM still describes "now"). Periods still running are measured with what is known there.
with newest as (
    select max(t) as newest_change_at
    from (
        select max(changed_at) as t from {{ ref('int_crm__deal_history') }}
        union all
        select max(occurred_at) from {{ ref('fct_activities') }}
        union all
        select max(submitted_at) from {{ ref('int_crm__feedback') }}
        union all
        select max(updated_at) from {{ ref('int_crm__leads') }}
    ) as changes
),

clock as (
    select max(crm_clock_at) as crm_clock_at from {{ ref('int_crm__extractions') }}
),

as_of as (
    select
        n.newest_change_at,
        -- Without an extraction record (never, through the pipeline): the newest change.
        coalesce(c.crm_clock_at, n.newest_change_at) as as_of_at
    from newest as n
    cross join clock as c
)

select
    newest_change_at,
    cast({{ dbt.dateadd('day', 1, reporting_date('as_of_at')) }} as date) as as_of_date,
    as_of_at
from as_of
