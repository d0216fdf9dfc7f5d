"""The Dagster definitions load, wire dlt tables to dbt sources, and share one DuckDB pool."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.definitions import defs

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_dbt_sources_depend_on_the_dlt_tables_that_feed_them():
    graph = defs.resolve_asset_graph()
    stg_deals = dg.AssetKey(["staging", "stg_hubspot__deals"])
    history = dg.AssetKey(["staging", "stg_hubspot__deal_property_history"])
    raw_deals = dg.AssetKey(["raw_hubspot", "deals"])
    assert raw_deals in graph.get(stg_deals).parent_keys
    assert raw_deals in graph.get(history).parent_keys
    assert graph.get(raw_deals).is_materializable
    mart = dg.AssetKey(["marts", "mart_rep_performance_monthly"])
    ancestors = graph.get_ancestor_asset_keys(mart)
    assert {
        raw_deals,
        dg.AssetKey(["raw_hubspot", "calls"]),
        dg.AssetKey(["core", "fct_deals"]),
    } <= ancestors


def test_every_duckdb_writer_is_in_one_pool():
    # publish/postgres only reads serving.duckdb (never the build file): no pool needed.
    readers = {dg.AssetKey(["publish", "postgres"])}
    pools = {
        node.key.to_user_string(): node.pools
        for node in defs.resolve_asset_graph().asset_nodes
        if node.is_materializable and node.key not in readers
    }
    assert pools and all(p == {"duckdb"} for p in pools.values()), pools
    limit = (ROOT / "orchestration" / "dagster.yaml").read_text()
    assert "default_limit: 1" in limit


def test_nightly_schedule_runs_everything_at_two_in_baku():
    schedule = defs.resolve_schedule_def("nightly_warehouse_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Baku"
    job = defs.resolve_job_def("nightly_warehouse")
    all_keys = {n.key for n in defs.resolve_asset_graph().asset_nodes if n.is_materializable}
    assert set(job.asset_layer.executable_asset_keys) >= all_keys


def test_workspace_validates_with_the_dagster_cli():
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "passed validation" in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    ("crm_clock", "expected"),
    [
        # The CRM cannot be asked: the machine's clock (the tick's time) decides.
        (None, "2026-12-01"),
        # The CRM's clock decides: the sandbox's stands at 15 Oct 12:00 UTC (16:00 in Baku).
        (datetime(2026, 10, 15, 12, 0, tzinfo=UTC), "2026-10-14"),
    ],
)
def test_nightly_schedule_targets_the_crms_last_complete_day(monkeypatch, crm_clock, expected):
    from orchestration.defs import jobs

    monkeypatch.setattr(jobs, "crm_clock", lambda: crm_clock)
    schedule = defs.resolve_schedule_def("nightly_warehouse_schedule")
    at = datetime(2026, 12, 2, 2, 0, tzinfo=ZoneInfo("Asia/Baku"))
    context = dg.build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == expected
    assert request.run_key == expected


def test_dbt_resource_skips_the_version_subprocess_and_the_adapter():
    """WarehouseDbtCli overrides two dagster-dbt hooks to save 3-4 s per dbt build; if an
    upgrade renames them, the overrides would silently stop working."""
    import importlib.metadata

    from dagster_dbt import DbtCliResource

    from orchestration.defs.transform import WarehouseDbtCli

    assert hasattr(DbtCliResource, "_cli_version")
    assert hasattr(DbtCliResource, "_initialize_dbt_core_adapter")
    dbt = defs.resources["dbt"]
    assert isinstance(dbt, WarehouseDbtCli)
    assert str(dbt._cli_version) == importlib.metadata.version("dbt-core")
    assert dbt._initialize_dbt_core_adapter([]) is None
    done = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True)
    assert importlib.metadata.version("dbt-core") in done.stdout  # the dbt the steps run
