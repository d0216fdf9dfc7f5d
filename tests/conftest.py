"""Shared fixtures: one CRM sandbox process per session and the generator's ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import RunningSandbox, sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

SEED = 42


@pytest.fixture(scope="session")
def org() -> Organisation:
    """The same organisation the sandbox serves (same preset and seed)."""
    return Organisation("small", SEED)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    with sandbox_process("small", SEED) as running:
        yield running


@pytest.fixture(scope="session")
def crm_env(sandbox: RunningSandbox, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment pointing the pipeline at the sandbox and a throwaway warehouse."""
    data = tmp_path_factory.mktemp("warehouse")
    env = {
        "CRM_BASE_URL": sandbox.base_url,
        "CRM_ACCESS_TOKEN": sandbox.token,
        "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
        "SERVING_PATH": str(data / "serving.duckdb"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield env


@dataclass
class NightlyRuns:
    first: dg.ExecuteInProcessResult
    second: dg.ExecuteInProcessResult
    snapshot_after_first: dict[str, list[tuple]]
    warehouse: str


def snapshot(path: str) -> dict[str, list[tuple]]:
    """Every row of every core, intermediate and mart table, in a stable order."""
    con = duckdb.connect(path, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('core', 'intermediate', 'marts') order by 1, 2"
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
    second = run_nightly_job(instance)
    assert second.success, first_failure(second)
    return NightlyRuns(first, second, after_first, crm_env["WAREHOUSE_PATH"])


@pytest.fixture(scope="session")
def truth(org: Organisation) -> Truth:
    return Truth(org)


def auth(sandbox: RunningSandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token}"}
