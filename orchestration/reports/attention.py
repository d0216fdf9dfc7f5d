"""Open deals that need the rep's attention: the one place the rule is defined.

Reports, unlike marts, are read "as of" a moment: the data's as-of time
(`intermediate.int_data_as_of.as_of_at`, the start of the reporting day after the newest
change in the warehouse), never the clock of the machine that renders them.

An open deal (`core.fct_deals`, not closed) is

- **stuck** when it entered its current stage more than `STUCK_MULTIPLE` times the
  company median days-in-stage for that stage ago. The median is over every finished stay
  in that pipeline stage (`intermediate.int_deal_stage_stays`, all deals, all time);
- **slipping** when its expected close date (`close_date_property`) is before the as-of
  time, or when the expected close date was ever pushed out (an `expected_close` change in
  the deal history, `intermediate.int_crm__deal_history`, to a later date than the value
  before it).

A deal can be both; deals that are neither do not appear on the page.
"""

from __future__ import annotations

import duckdb

STUCK_MULTIPLE = 2

RULE_TEXT = (
    f"Stuck: in its current stage for more than {STUCK_MULTIPLE}× the company's median days "
    "in that stage. Slipping: the expected close date has passed, or it was pushed out to a "
    "later date at least once."
)

OPEN_DEALS_NEEDING_ATTENTION_SQL = f"""
with as_of as (
    select as_of_at from intermediate.int_data_as_of
),

deals as (
    select * from core.fct_deals where not is_closed
),

-- Stays in a stage (intermediate.int_deal_stage_stays) of the deals in core.fct_deals.
stage_stays as (
    select
        d.crm_source, d.pipeline_id, s.deal_id, s.stage_id, s.entered_at, s.left_at, s.is_current
    from intermediate.int_deal_stage_stays as s
    inner join core.fct_deals as d on d.crm_source = s.crm_source and d.deal_id = s.deal_id
),

-- Days as a double from the timestamps (not the model's decimal days_in_stage), so the
-- medians and the stuck threshold stay exactly what the pages have always shown.
stage_norms as (
    select
        crm_source,
        pipeline_id,
        stage_id,
        percentile_cont(0.5) within group (
            order by epoch(left_at - entered_at) / 86400.0
        ) as median_days_in_stage
    from stage_stays
    where not is_current
    group by 1, 2, 3
),

current_stays as (
    select crm_source, deal_id, stage_id, entered_at from stage_stays where is_current
),

close_date_changes as (
    select
        crm_source,
        deal_id,
        try_cast(value as timestamptz) as expected_close_at,
        lag(try_cast(value as timestamptz)) over (
            partition by crm_source, deal_id order by changed_at
        ) as previous_expected_close_at
    from intermediate.int_crm__deal_history
    where property = 'expected_close'
),

pushes as (
    select
        crm_source,
        deal_id,
        count(*) filter (where expected_close_at > previous_expected_close_at) as times_pushed
    from close_date_changes
    group by 1, 2
),

flagged as (
    select
        r.rep_key,
        d.owner_id,
        d.deal_id,
        d.deal_name,
        d.stage_label,
        d.amount_home,
        d.close_date_property as expected_close_at,
        epoch(a.as_of_at - s.entered_at) / 86400.0 as days_in_stage,
        n.median_days_in_stage,
        coalesce(
            epoch(a.as_of_at - s.entered_at) / 86400.0 > {STUCK_MULTIPLE} * n.median_days_in_stage,
            false
        ) as is_stuck,
        coalesce(d.close_date_property < a.as_of_at, false) as close_date_passed,
        coalesce(p.times_pushed, 0) as times_pushed
    from deals as d
    cross join as_of as a
    left join intermediate.int_rep_identities as r
        on r.crm_source = d.crm_source and r.owner_id = d.owner_id
    left join current_stays as s
        on s.crm_source = d.crm_source and s.deal_id = d.deal_id and s.stage_id = d.stage_id
    left join stage_norms as n
        on n.crm_source = d.crm_source and n.pipeline_id = d.pipeline_id and n.stage_id = d.stage_id
    left join pushes as p on p.crm_source = d.crm_source and p.deal_id = d.deal_id
)

select *
from flagged
where is_stuck or close_date_passed or times_pushed > 0
order by rep_key, amount_home desc nulls last, deal_id
"""


def open_deals_needing_attention(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every open deal that is stuck or slipping, as of the data's as-of time."""
    cursor = con.execute(OPEN_DEALS_NEEDING_ATTENTION_SQL)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
