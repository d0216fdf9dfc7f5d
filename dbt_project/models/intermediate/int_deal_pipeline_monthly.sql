-- Each deal open at 00:00 on the first day of a reporting month, with its state then:
-- the owner credited, the amount, the stage probability, whether it was expected to close
-- in that month, and whether it was still open when the month ended (slipped).
with months as (
    select * from {{ ref('int_reporting_months') }}
),

states as (
    select * from {{ ref('int_deal_state_daily') }}
),

at_start as (
    select
        m.month_start,
        m.next_month_start_at,
        m.period_end_date,
        s.*
    from months as m
    inner join states as s on s.date_day = m.month_start
    where s.is_open
)

select
    {{ surrogate_key(['a.crm_source', 'a.deal_id', 'a.month_start']) }} as deal_month_id,
    a.crm_source,
    a.deal_id,
    a.month_start,
    a.owner_id,
    coalesce(a.amount_home, 0) as amount_home,
    a.stage_id,
    a.stage_probability,
    a.stage_probability >= {{ var('qualified_min_probability') }} as is_qualified,
    a.expected_close_at >= a.state_at and a.expected_close_at < a.next_month_start_at
        as is_expected_in_month,
    coalesce(e.is_open, false) as is_open_at_period_end
from at_start as a
left join states as e on e.deal_key = a.deal_key and e.date_day = a.period_end_date
