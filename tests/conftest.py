"""Shared fixtures: one CRM sandbox process per session and the generator's ground truth."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import RunningSandbox, sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

SEED = 42
# Step retries wait this long in tests (10 s in production), see orchestration/defs/jobs.py.
os.environ.setdefault("RETRY_DELAY_SECONDS", "0.5")


@pytest.fixture(scope="session")
def org() -> Organisation:
    """The same organisation the sandbox serves (same preset and seed)."""
    return Organisation("small", SEED)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    with sandbox_process("small", SEED) as running:
        yield running


def pipeline_env(sandbox: RunningSandbox, warehouse_dir: Path) -> dict[str, str]:
    """Settings pointing the pipeline at a sandbox and a warehouse in warehouse_dir."""
    return {
        "CRM_BASE_URL": sandbox.base_url,
        "CRM_ACCESS_TOKEN": sandbox.token,
        "WAREHOUSE_PATH": str(warehouse_dir / "warehouse.duckdb"),
        "SERVING_PATH": str(warehouse_dir / "serving.duckdb"),
        # The sandbox is not rate limited unless a test asks for it.
        "CRM_MAX_REQUESTS_PER_10S": "10000",
    }


def point_pipeline_at(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, warehouse_dir: Path
) -> None:
    for key, value in pipeline_env(sandbox, warehouse_dir).items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def crm_env(sandbox: RunningSandbox, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment pointing the pipeline at the sandbox and a throwaway warehouse."""
    with pytest.MonkeyPatch.context() as mp:
        point_pipeline_at(mp, sandbox, tmp_path_factory.mktemp("warehouse"))
        yield {key: os.environ[key] for key in pipeline_env(sandbox, Path())}


# Raw tables whose loads the fault tests compare (record ids and their updatedAt).
RAW_OBJECTS = ["deals", "calls", "emails", "meetings", "tasks", "contacts", "goal_targets"]


def raw_content(path: str | Path) -> dict[str, set[tuple[str, str]]]:
    """Every (id, updated_at) of the compared raw tables: two loads hold the same records."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: set(
                con.execute(
                    f"select id, cast(updated_at as varchar) from raw_hubspot.{t}"
                ).fetchall()
            )
            for t in RAW_OBJECTS
        }
    finally:
        con.close()


def sales_regions(path: str | Path) -> dict[str, str]:
    """The custom deal property `sales_region` as loaded (--custom-properties): id -> value."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(
            con.execute(
                "select id, properties__sales_region from raw_hubspot.deals "
                "where properties__sales_region is not null"
            ).fetchall()
        )
    finally:
        con.close()


@dataclass
class NightlyRuns:
    first: dg.ExecuteInProcessResult
    second: dg.ExecuteInProcessResult
    snapshot_after_first: dict[str, list[tuple]]
    warehouse: str
    reader_saw: str  # what the BI reader holding serving.duckdb read after the second run


def snapshot(path: str) -> dict[str, list[tuple]]:
    """Every row of every core, intermediate and mart table, in a stable order (views, such
    as the int_crm__* seam over staging, are what their tables are built from)."""
    con = duckdb.connect(path, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('core', 'intermediate', 'marts') "
            "and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": sorted(con.execute(f'select * from "{s}"."{t}"').fetchall(), key=repr)
            for s, t in tables
        }
    finally:
        con.close()


@pytest.fixture(scope="session")
def nightly_runs(crm_env) -> NightlyRuns:
    """The nightly job run twice in-process against the sandbox (unchanged CRM data)."""
    instance = dg.DagsterInstance.ephemeral()
    first = run_nightly_job(instance)
    assert first.success, first_failure(first)
    after_first = snapshot(crm_env["WAREHOUSE_PATH"])
    # A BI reader holds the serving file open through the whole second run.
    with ServingReader(crm_env["SERVING_PATH"]) as reader:
        second = run_nightly_job(instance)
        assert second.success, first_failure(second)
        reader_saw = reader.query("select dagster_run_id from main.publication")
    return NightlyRuns(first, second, after_first, crm_env["WAREHOUSE_PATH"], reader_saw)


class ServingReader:
    """Another process (like Metabase) holding serving.duckdb open read-only."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self) -> ServingReader:
        code = (
            "import duckdb, sys\n"
            f"con = duckdb.connect({self.path!r}, read_only=True)\n"
            "print('open', flush=True)\n"
            "for sql in sys.stdin:\n"
            "    print(con.execute(sql).fetchall(), flush=True)\n"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout.readline().strip() == "open"
        return self

    def query(self, sql: str) -> str:
        self.proc.stdin.write(sql + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def __exit__(self, *exc) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="session")
def truth(org: Organisation) -> Truth:
    return Truth(org)


def audit_and_publish_job() -> dg.JobDefinition:
    """Only the publish step and the checks on what it publishes (an audit on its own)."""
    from orchestration.definitions import defs

    publish = dg.AssetKey(["publish", "serving_duckdb"])
    audit = dg.define_asset_job(
        "audit_and_publish",
        selection=dg.AssetSelection.assets(publish)
        | dg.AssetSelection.checks_for_assets(*defs.resolve_asset_graph().get(publish).parent_keys),
    )
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[audit])).resolve_job_def(
        "audit_and_publish"
    )


def auth(sandbox: RunningSandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token}"}


# --- test tiers and the closing summary --------------------------------------------------

PIPELINE_FIXTURES = {"nightly_runs", "crm_env"}
PIPELINE_CALLS = (
    "run_nightly_job(",
    "sandbox_process(",
    "salesforce_process(",
    "nightly_run(",  # tests/salesforce_runs.py
    "run_with_connections(",  # tests/nightly_process.py
    "execute_in_process(",
)


# Tests are grouped by subject, one folder each; the folder is also a marker (`-m publish`).
SUBJECTS = {
    "unit": "settings, definitions, docs and catalog checks; no CRM needed",
    "sandbox": "the CRM sandbox's API contract, errors and generator",
    "ingestion": "the connector against the sandbox: faults, bad records, increments",
    "pipeline": "whole nightly runs: ground truth, operations, command line",
    "publish": "serving.duckdb and the PostgreSQL publish",
    "reports": "the rep pages, rendered in headless Chromium",
    "bi": "the BI dashboard: Superset over the serving file, in headless Chromium",
    "spark": "WAREHOUSE_ENGINE=spark on a local standalone cluster (make test-spark)",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: runs the pipeline or starts its own sandbox (left out by test-fast)"
    )
    for subject, what in SUBJECTS.items():
        config.addinivalue_line("markers", f"{subject}: {what}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test is marked with its subject (its folder), and `slow` when it runs the
    pipeline: it uses the pipeline fixtures, or its module runs it itself. `make test-fast`
    (-m 'not slow') leaves the slow ones out."""
    sources: dict[Path, str] = {}
    for item in items:
        path = Path(item.fspath)
        if path.parent.name in SUBJECTS:
            item.add_marker(getattr(pytest.mark, path.parent.name))
        if path not in sources:
            sources[path] = path.read_text()
        runs_itself = any(call in sources[path] for call in PIPELINE_CALLS)
        if runs_itself or PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """One line at the very end naming the test groups that were skipped for a missing
    system package, and the command that installs them (a skip is easy to miss)."""
    groups: dict[str, int] = {}
    packages: list[str] = []
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        install = re.search(
            r"apt-get install (?:-y )?(?:--no-install-recommends )?([\w.-]+)", reason
        )
        if install is None:
            continue
        module = Path(report.location[0]).stem
        groups[module] = groups.get(module, 0) + 1
        if install.group(1) not in packages:
            packages.append(install.group(1))
    if groups:
        counts = ", ".join(f"{module} ({n})" for module, n in sorted(groups.items()))
        terminalreporter.write_line(
            f"SKIPPED for missing system packages: {counts}; install them with: "
            f"sudo apt-get install -y --no-install-recommends {' '.join(packages)}",
            yellow=True,
            bold=True,
        )
