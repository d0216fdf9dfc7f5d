-- Salesforce adapter: opportunities that exist and can be used (deleted and quarantined
-- ones left out), in pipeline `default`, the stage by its API
-- name. The expected close is the close date's first moment in the reporting time zone; the
-- home-currency amount is converted as Salesforce converts opportunities: with the dated
-- rate in force on the close date (macro salesforce_to_home).
select
    o.crm_source,
    o.opportunity_id as deal_id,
    o.opportunity_name as deal_name,
    'default' as pipeline_id,
    o.stage_name as stage_id,
    o.owner_id,
    o.account_id as company_id,
    o.amount,
    o.currency_code,
    {{ salesforce_to_home('o.amount', 'o.currency_code', 'o.close_date', 'o.crm_source') }} as amount_home,
    o.created_at,
    {{ local_day_start('o.close_date') }} as expected_close_at,
    o.updated_at
from {{ ref('stg_salesforce__opportunities') }} as o
where not o.is_deleted
    and not exists (
        select 1 from {{ ref('quarantine_opportunity') }} as q
        where q.crm_source = o.crm_source and q.loaded_id = o.opportunity_id
    )
