with merges as (
    select crm_source, object_type, merged_id, merged_into_id from {{ ref('int_merges_resolved') }}
),

deals as (
    select d.* from {{ ref('int_crm__deals') }} as d
    -- merged into another deal: gone from the CRM, though raw keeps its last row
    where not exists (
        select 1 from merges as m
        where m.object_type = 'deal' and m.crm_source = d.crm_source and m.merged_id = d.deal_id
    )
),

stages as (
    select * from {{ ref('int_crm__pipeline_stages') }}
),

closes as (
    select * from {{ ref('int_deal_closes') }}
),

joined as (
    select
        d.crm_source,
        d.deal_id,
        d.deal_name,
        d.pipeline_id,
        d.stage_id,
        s.stage_label,
        s.probability as stage_probability,
        coalesce(s.is_closed, false) as is_closed,
        coalesce(s.is_won, false) as is_won,
        coalesce(s.is_lost, false) as is_lost,
        d.owner_id as current_owner_id,
        case
            when s.is_closed then coalesce(c.owner_id_at_close, d.owner_id)
            else d.owner_id
        end as owner_id,
        coalesce(m.merged_into_id, d.company_id) as company_id,
        d.amount,
        d.currency_code,
        coalesce(d.amount_home, case when d.currency_code = '{{ var("home_currency") }}' then d.amount end)
            as amount_home,
        d.created_at,
        case when s.is_closed then coalesce(c.closed_at, d.expected_close_at) end as closed_at,
        d.expected_close_at as close_date_property,
        d.updated_at
    from deals as d
    left join stages as s
        on s.crm_source = d.crm_source and s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
    left join closes as c on c.crm_source = d.crm_source and c.deal_id = d.deal_id
    left join merges as m
        on m.crm_source = d.crm_source and m.object_type = 'company' and m.merged_id = d.company_id
)

select
    {{ surrogate_key(['crm_source', 'deal_id']) }} as deal_key,
    *,
    {{ reporting_month('created_at') }} as created_month,
    {{ reporting_month('closed_at') }} as closed_month,
    {{ days_between('created_at', 'closed_at') }} as days_to_close
from joined
