-- HubSpot adapter: the deals that exist and can be used. Deleted (archived) deals and deals
-- in quarantine are left out here; a deal merged into another stays (core resolves merges
-- from int_crm__merges). A deal's company is its first associated company by id.
with companies as (
    select crm_source, deal_id, min(company_id) as company_id
    from {{ ref('stg_hubspot__deal_companies') }}
    group by crm_source, deal_id
),

quarantined as (
    select crm_source, loaded_id from {{ ref('quarantine_deals') }}
)

select
    d.crm_source,
    d.deal_id,
    d.deal_name,
    d.pipeline_id,
    d.stage_id,
    d.owner_id,
    c.company_id,
    d.amount,
    d.currency_code,
    d.amount_home,
    d.created_at,
    d.close_date_property as expected_close_at,
    d.updated_at
from {{ ref('stg_hubspot__deals') }} as d
left join companies as c on c.crm_source = d.crm_source and c.deal_id = d.deal_id
where not d.is_archived
    and not exists (
        select 1 from quarantined as q where q.crm_source = d.crm_source and q.loaded_id = d.deal_id
    )
