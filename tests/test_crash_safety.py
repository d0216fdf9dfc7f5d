"""A run killed with SIGKILL at any point (extract, load, dbt) is completed by the next
run: no lost and no duplicated rows, marts equal to the ground truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest

from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

from .kpi_compare import compare_all

RUN_JOB = (
    "import dagster as dg; from orchestration.lib.runs import run_nightly_job; "
    "run_nightly_job(dg.DagsterInstance.ephemeral())"
)
RAW = ["deals", "calls", "emails", "meetings", "tasks", "contacts", "feedback_submissions"]


@pytest.mark.parametrize("kill_after_seconds", [4, 18])
def test_rerun_after_kill_equals_a_clean_run(
    kill_after_seconds, sandbox, truth: Truth, tmp_path, monkeypatch
):
    env = {
        "CRM_BASE_URL": sandbox.base_url,
        "CRM_ACCESS_TOKEN": sandbox.token,
        "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "SERVING_PATH": str(tmp_path / "serving.duckdb"),
        "CRM_MAX_REQUESTS_PER_10S": "10000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_JOB],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(kill_after_seconds)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its dbt child, mid-flight
    proc.wait()

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = run_nightly_job(dg.DagsterInstance.ephemeral())
    assert result.success, first_failure(result)

    con = duckdb.connect(env["WAREHOUSE_PATH"], read_only=True)
    try:
        for table in RAW:
            total, distinct = con.execute(
                f"select count(*), count(distinct id) from raw_hubspot.{table}"
            ).fetchone()
            assert total == distinct == len(truth.org.objects[table]), table
    finally:
        con.close()
    problems = compare_all(env["WAREHOUSE_PATH"], truth)
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}
