"""Every asset materialized in-process against the sandbox: marts equal the ground truth,
and a second run on unchanged CRM data changes nothing."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from orchestration.lib.runs import first_failure, run_nightly_job

CENT = Decimal("0.005")
COUNTS = ("won_deals", "lost_deals", "calls", "emails", "meetings", "tasks_completed")
RATES = ("win_rate", "avg_deal_size", "quota_attainment")


def _snapshot(path: str) -> dict[str, list[tuple]]:
    """Every row of every core table and mart, in a stable order."""
    con = duckdb.connect(path, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('core', 'marts') order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": sorted(con.execute(f'select * from "{s}"."{t}"').fetchall(), key=repr)
            for s, t in tables
        }
    finally:
        con.close()


def _raw_duplicates(path: str) -> dict[str, int]:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = [
            "owners", "deal_pipelines", "companies", "contacts", "deals",
            "calls", "emails", "meetings", "tasks", "goal_targets",
        ]  # fmt: skip
        return {
            t: con.execute(f"select count(*) - count(distinct id) from raw_hubspot.{t}").fetchone()[
                0
            ]
            for t in tables
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_runs(crm_env):
    instance = dg.DagsterInstance.ephemeral()
    first = run_nightly_job(instance)
    assert first.success, first_failure(first)
    after_first = _snapshot(crm_env["WAREHOUSE_PATH"])
    second = run_nightly_job(instance)
    assert second.success, first_failure(second)
    return first, second, after_first, crm_env["WAREHOUSE_PATH"]


def test_every_asset_materialized_and_every_dbt_test_passed(two_runs):
    first, *_ = two_runs
    keys = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
    assert {
        "raw_hubspot/deals",
        "raw_hubspot/owners",
        "marts/mart_rep_performance_monthly",
        "core/fct_deals",
    } <= keys
    checks = first.get_asset_check_evaluations()
    assert len(checks) >= 20
    failed = [c.check_name for c in checks if not c.passed]
    assert failed == []


def test_rep_month_mart_equals_ground_truth(two_runs, org: Organisation):
    *_, path = two_runs
    truth = org.ground_truth_rep_month()
    con = duckdb.connect(path, read_only=True)
    cols = ", ".join(("bookings", "quota", *COUNTS, *RATES))
    rows = con.execute(
        f"select owner_id, strftime(month_start, '%Y-%m'), {cols} "
        "from marts.mart_rep_performance_monthly"
    ).fetchall()
    con.close()
    names = ("bookings", "quota", *COUNTS, *RATES)
    mart = {(r[0], r[1]): dict(zip(names, r[2:], strict=True)) for r in rows}
    assert set(mart) == set(truth)
    assert len(mart) == len(org.reps) * 25
    for key, expected in truth.items():
        got = mart[key]
        for col in COUNTS:
            assert got[col] == expected[col], (key, col)
        assert abs(Decimal(str(got["bookings"])) - expected["bookings"]) < CENT, key
        if expected["quota"] is None:
            assert got["quota"] is None, key
        else:
            assert abs(Decimal(str(got["quota"])) - expected["quota"]) < CENT, key
        for col in RATES:
            if expected[col] is None:
                assert got[col] is None, (key, col)
            else:
                assert got[col] == pytest.approx(float(expected[col]), rel=1e-9), (key, col)
    # The comparison is not vacuous: the org has wins, losses, quotas and NULL rates.
    assert sum(t["won_deals"] for t in truth.values()) > 500
    assert any(t["win_rate"] is None for t in truth.values())


def test_second_run_on_unchanged_crm_changes_nothing(two_runs):
    _, _, after_first, path = two_runs
    assert _snapshot(path) == after_first
    assert all(n == 0 for n in _raw_duplicates(path).values()), _raw_duplicates(path)
