"""Every asset materialized in-process against the sandbox: every dbt test passes, and a
second run on unchanged CRM data changes nothing and duplicates no raw row."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from ingestion.settings import PROJECT_ROOT
from orchestration.lib.catalog import load_manifest

from ..conftest import NightlyRuns, snapshot

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


def dbt_test(
    warehouse: str | Path, target: Path, *args: str, command: str = "test"
) -> subprocess.CompletedProcess:
    """`dbt <command> <args>` of the project against one warehouse file, output captured."""
    project = PROJECT_ROOT / "dbt_project"
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            command,
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
        ],
        env={**os.environ, "WAREHOUSE_PATH": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_dbt_unit_tests_pass(nightly_runs: NightlyRuns, tmp_path):
    """The SQL's unit tests (fixed inputs, expected rows). The nightly build leaves them out:
    they check code, not data, so they run here, against the nightly warehouse's relations."""
    done = dbt_test(nightly_runs.warehouse, tmp_path / "target", "--select", "test_type:unit")
    assert done.returncode == 0, done.stdout[-3000:]
    # every unit test of the project ran (the manifest lists them)
    unit_tests = [u for u in load_manifest().get("unit_tests", {}) if u.startswith("unit_test.")]
    assert len(unit_tests) >= 27 and f"PASS={len(unit_tests)}" in done.stdout


def test_column_checks_fail_naming_the_column(nightly_runs: NightlyRuns, tmp_path):
    """Not-null, unique and accepted-values checks are folded into one `columns_<model>` test
    per model (a few hundred fewer nodes in the nightly build); a null, a repeated key or a
    value not listed still fails it."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(nightly_runs.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute(
        "update core.dim_teams set rep_count = null"
        " where team_id = (select min(team_id) from core.dim_teams)"
    )
    con.execute("insert into core.dim_reps select * from core.dim_reps limit 2")
    con.execute(
        "update marts.mart_pipeline_waterfall set period_type = 'week'"
        " where waterfall_id = (select min(waterfall_id) from marts.mart_pipeline_waterfall)"
    )
    con.close()
    done = dbt_test(
        warehouse, tmp_path / "target", "--select", "test_name:column_checks", "--store-failures"
    )
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAIL 1 columns_dim_teams" in done.stdout
    assert "FAIL 2 columns_dim_reps" in done.stdout  # rep_key and owner_id repeated
    assert "FAIL 1 columns_mart_pipeline_waterfall" in done.stdout
    assert "PASS columns_fct_deals" in done.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    (schema,) = con.execute(
        "select table_schema from information_schema.tables where table_name = 'columns_dim_teams'"
    ).fetchone()
    failures = {
        table: sorted(con.execute(f"select * from {schema}.{table}").fetchall())
        for table in ("columns_dim_teams", "columns_dim_reps", "columns_mart_pipeline_waterfall")
    }
    con.close()
    assert failures == {
        "columns_dim_teams": [("not_null", "rep_count", 1)],
        "columns_dim_reps": [("unique", "owner_id", 2), ("unique", "rep_key", 2)],
        "columns_mart_pipeline_waterfall": [("accepted_values", "period_type", 1)],
    }


def built_after(nightly_runs: NightlyRuns, tmp_path: Path, *statements: str) -> dict:
    """A copy of the nightly warehouse changed by the SQL statements (an older layout), then
    built by dbt: its snapshot."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(nightly_runs.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    for statement in statements:
        con.execute(statement)
    con.close()
    done = dbt_test(
        warehouse, tmp_path / "target", "--exclude-resource-type", "unit_test", command="build"
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return snapshot(str(warehouse))


def test_a_warehouse_built_before_crm_source_is_restated_once(nightly_runs: NightlyRuns, tmp_path):
    """The incremental tables of a warehouse built before the CRM-connection columns existed
    (crm_source, deal_key) are re-stated whole by the next build, not left half-keyed."""
    upgraded = built_after(
        nightly_runs,
        tmp_path,
        "alter table core.fct_activities drop column crm_source",
        "alter table intermediate.int_deal_state_daily drop column deal_key",
        "alter table intermediate.int_deal_state_daily drop column crm_source",
    )
    fresh = snapshot(nightly_runs.warehouse)
    for table in ("core.fct_activities", "intermediate.int_deal_state_daily"):
        assert upgraded[table] == fresh[table], table
