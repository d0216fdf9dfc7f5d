"""Every asset materialized in-process against the sandbox: every dbt test passes, and a
second run on unchanged CRM data changes nothing and duplicates no raw row."""

from __future__ import annotations

import duckdb

from .conftest import NightlyRuns, snapshot

RAW_TABLES = [
    "owners", "deal_pipelines", "companies", "contacts", "deals", "calls", "emails",
    "meetings", "tasks", "goal_targets", "feedback_submissions",
]  # fmt: skip


def test_every_asset_materialized_and_every_dbt_test_passed(nightly_runs: NightlyRuns):
    first = nightly_runs.first
    keys = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
    assert {
        "raw_hubspot/deals",
        "raw_hubspot/feedback_submissions",
        "core/fct_deals",
        "intermediate/int_deal_state_daily",
        "marts/mart_rep_performance_monthly",
        "marts/mart_rep_scorecard_wide",
    } <= keys
    checks = first.get_asset_check_evaluations()
    assert len(checks) >= 50
    assert [c.check_name for c in checks if not c.passed] == []


def test_second_run_on_unchanged_crm_changes_nothing(nightly_runs: NightlyRuns):
    after_second = snapshot(nightly_runs.warehouse)
    assert after_second.keys() == nightly_runs.snapshot_after_first.keys()
    for table, rows in nightly_runs.snapshot_after_first.items():
        assert after_second[table] == rows, table
    con = duckdb.connect(nightly_runs.warehouse, read_only=True)
    try:
        for table in RAW_TABLES:
            dup = con.execute(
                f"select count(*) - count(distinct id) from raw_hubspot.{table}"
            ).fetchone()[0]
            assert dup == 0, table
    finally:
        con.close()
