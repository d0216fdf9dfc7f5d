-- Salesforce adapter: the history of each opportunity's stage, home-currency amount,
-- expected close and forecast category (OpportunityHistory: a row per change with the
-- values after it; a value is taken from the rows where it changed; the category's API
-- values Pipeline, BestCase, Forecast (commit), Closed, Omitted as pipeline, best_case,
-- commit, closed, omit) and of its owner (OpportunityFieldHistory, field Owner, the ids'
-- rows; the first owner is the first change's old value, or the current owner, from
-- creation). Rows Salesforce no longer keeps stay in raw, and so do the rows of an
-- opportunity deleted since (the pipeline waterfall counts it until then).
with history as (
    select
        crm_source,
        opportunity_id as deal_id,
        changed_at,
        stage_name,
        cast({{ salesforce_to_home('h.amount', 'h.currency_code', 'h.close_date', 'h.crm_source') }} as {{ dbt.type_string() }}) as amount_home,
        cast({{ local_day_start('close_date') }} as {{ dbt.type_string() }}) as expected_close,
        case forecast_category
            when 'BestCase' then 'best_case'
            when 'Forecast' then 'commit'
            when 'Omitted' then 'omit'
            when 'MostLikely' then 'most_likely'
            else lower(forecast_category)
        end as forecast_category,
        row_number() over (
            partition by crm_source, opportunity_id order by changed_at, opportunity_history_id
        ) as n
    from {{ ref('stg_salesforce__opportunity_history') }} as h
),

changes as (
    select
        crm_source,
        deal_id,
        changed_at,
        stage_name,
        amount_home,
        expected_close,
        lag(stage_name) over w as previous_stage,
        lag(amount_home) over w as previous_amount_home,
        lag(expected_close) over w as previous_expected_close,
        forecast_category,
        lag(forecast_category) over w as previous_forecast_category,
        n
    from history
    window w as (partition by crm_source, deal_id order by n)
),

owner_changes as (
    select crm_source, opportunity_id as deal_id, old_value, new_value, changed_at,
        row_number() over (
            partition by crm_source, opportunity_id order by changed_at, field_history_id
        ) as n
    from {{ ref('stg_salesforce__opportunity_field_history') }}
    where field = 'Owner' and data_type = 'EntityId'
),

opportunities as (
    select crm_source, opportunity_id as deal_id, owner_id, created_at
    from {{ ref('stg_salesforce__opportunities') }}
)

{%- for property, column in [('stage', 'stage_name'), ('amount_home', 'amount_home'), ('expected_close', 'expected_close'), ('forecast_category', 'forecast_category')] %}
select crm_source, deal_id, '{{ property }}' as property, {{ column }} as value, changed_at
from changes
where n = 1 or {{ column }} is distinct from previous_{{ 'stage' if column == 'stage_name' else column }}
union all
{%- endfor %}
select o.crm_source, o.deal_id, 'owner', coalesce(c.old_value, o.owner_id), o.created_at
from opportunities as o
left join owner_changes as c on c.crm_source = o.crm_source and c.deal_id = o.deal_id and c.n = 1
union all
select crm_source, deal_id, 'owner', new_value, changed_at
from owner_changes
