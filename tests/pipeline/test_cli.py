"""The command line: `make run` (the nightly job once, now) and `make backfill` end a failed
run with the failed step's one line on stderr, nothing after it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ingestion.sandbox.runner import RunningSandbox

from ..conftest import pipeline_env

# Each test runs the pipeline in a subprocess (the tier marker cannot see it).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BAD_TOKEN_LINE = (
    "rejected the token (HTTP 401): set CRM_ACCESS_TOKEN to a valid HubSpot private app token"
)


@pytest.fixture
def bad_token_env(sandbox: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        **pipeline_env(sandbox, tmp_path),
        "CRM_ACCESS_TOKEN": "wrong",
        "DAGSTER_HOME": str(home),
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _assert_ends_with_the_one_line(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [proc.stderr.strip()], proc.stderr
    assert proc.stderr.startswith("error: hubspot: the CRM at http://127.0.0.1:")
    assert proc.stderr.strip().endswith(BAD_TOKEN_LINE)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Not executing" not in proc.stdout + proc.stderr
    assert "wrong" not in proc.stdout + proc.stderr  # the token is never printed


def test_make_run_with_a_bad_token_ends_with_one_line_and_records_the_run(bad_token_env):
    proc = _run(bad_token_env, "-m", "orchestration.lib.runs")
    _assert_ends_with_the_one_line(proc)
    assert proc.stdout.splitlines()[-2:] == ["    step hubspot started", "    step hubspot FAILED"]
    with dg.DagsterInstance.from_config(bad_token_env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
    assert run.job_name == "nightly_warehouse" and run.status == dg.DagsterRunStatus.FAILURE


def test_make_run_with_a_bad_setting_is_one_line_before_any_run(bad_token_env):
    proc = _run(
        {**bad_token_env, "REPORTING_TIMEZONE": "Mars/Olympus"}, "-m", "orchestration.lib.runs"
    )
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: ") and "REPORTING_TIMEZONE" in line
    assert proc.stdout == ""


def test_make_backfill_with_a_bad_token_ends_with_one_line(bad_token_env):
    day = "2026-10-14"  # complete by the sandbox's clock and by this machine's
    proc = _run(bad_token_env, "-m", "orchestration.backfill", "--from", day, "--to", day)
    _assert_ends_with_the_one_line(proc)


def test_a_backfill_prints_each_loaded_table_once(sandbox: RunningSandbox, tmp_path):
    """A run over several days materializes every raw table once per day; the progress
    lines name each table once."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, **pipeline_env(sandbox, tmp_path), "DAGSTER_HOME": str(home)}
    # The sandbox's clock starts 2026-10-15 12:00 UTC: four complete days before it.
    proc = _run(env, "-m", "orchestration.backfill", "--from", "2026-10-11", "--to", "2026-10-14")
    assert proc.returncode == 0, proc.stderr
    loaded = [line.strip() for line in proc.stdout.splitlines() if "loaded raw_hubspot/" in line]
    assert len(loaded) == len(set(loaded)) == 19, proc.stdout
    assert "loaded raw_hubspot/deals" in loaded
