"""A run killed with kill -9 while it holds the `duckdb` pool slot: the next run marks it
failed, releases its slot with one line, and completes (before, it waited forever).

The instance is a persistent DAGSTER_HOME with the project's dagster.yaml, as `make` sets up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from ingestion.settings import PROJECT_ROOT
from orchestration.lib.processes import process_alive
from orchestration.lib.recovery import release_dead_runs

from ..conftest import pipeline_env

RUN_JOB = (
    "import sys, dagster as dg; from orchestration.lib.runs import run_nightly_job; "
    "sys.exit(0 if run_nightly_job(dg.DagsterInstance.get()).success else 1)"
)
SLOT_DEADLINE_SECONDS = 120
NEXT_RUN_DEADLINE_SECONDS = 900  # without the recovery the next run waits for the slot forever


def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    return home


def duckdb_slot_holders(instance: dg.DagsterInstance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info("duckdb")
    return [slot.run_id for slot in info.claimed_slots]


def test_next_run_fails_the_killed_run_and_takes_its_slot(sandbox, tmp_path):
    home = dagster_home(tmp_path)
    env = {**os.environ, **pipeline_env(sandbox, tmp_path), "DAGSTER_HOME": str(home)}
    instance = dg.DagsterInstance.from_config(str(home))
    log = tmp_path / "killed_run.log"
    with log.open("w") as out:
        killed = subprocess.Popen(
            [sys.executable, "-c", RUN_JOB],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SLOT_DEADLINE_SECONDS
        while not duckdb_slot_holders(instance):
            assert killed.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the run never took the duckdb slot"
            time.sleep(0.1)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the run and any dbt child
        killed.wait()
    (dead_run,) = duckdb_slot_holders(instance)
    assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.STARTED

    next_run = subprocess.run(
        [sys.executable, "-c", RUN_JOB],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=NEXT_RUN_DEADLINE_SECONDS,
    )

    assert next_run.returncode == 0, next_run.stderr[-2000:]
    line = (
        f"run {dead_run[:8]} (pid {killed.pid}) died without finishing: marked failed, "
        "its duckdb pool slot released"
    )
    assert next_run.stdout.splitlines().count(line) == 1, next_run.stdout[:2000]
    assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(dead_run, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert [entry.dagster_event.message for entry in failure] == [line]
    runs = instance.get_runs()
    assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
    assert duckdb_slot_holders(instance) == []


def started_run(instance: dg.DagsterInstance, pid: int | None) -> dg.DagsterRun:
    """A run of an empty job marked STARTED, with `pid` recorded as Dagster records it."""
    run = instance.create_run_for_job(dg.GraphDefinition(name="empty").to_job())
    if pid is not None:
        instance.report_engine_event(
            "Executing steps in process", run, EngineEventData.in_process(pid)
        )
    instance.handle_run_event(
        run.run_id, dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=run.job_name)
    )
    return run


def test_live_runs_and_runs_without_a_process_yet_are_left_alone(tmp_path):
    instance = dg.DagsterInstance.from_config(str(dagster_home(tmp_path)))
    live = started_run(instance, os.getpid())
    not_yet = started_run(instance, None)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = started_run(instance, gone.pid)

    lines: list[str] = []
    assert release_dead_runs(instance, report=lines.append) == lines
    assert lines == [
        f"run {dead.run_id[:8]} (pid {gone.pid}) died without finishing: marked failed"
    ]
    status = {run.run_id: run.status for run in instance.get_runs()}
    assert status == {
        live.run_id: dg.DagsterRunStatus.STARTED,
        not_yet.run_id: dg.DagsterRunStatus.STARTED,
        dead.run_id: dg.DagsterRunStatus.FAILURE,
    }
    assert release_dead_runs(instance, report=lines.append) == []  # once only


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states in /proc")
def test_a_reused_pid_or_a_zombie_is_not_the_run_alive():
    now = time.time()
    assert process_alive(os.getpid(), now)
    assert not process_alive(os.getpid(), now - 10 * 24 * 3600)  # this process started later
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not process_alive(zombie.pid, now)
    zombie.wait()
    assert not process_alive(zombie.pid, now)


def test_the_daemons_sensor_fails_a_dead_run_once(tmp_path):
    from orchestration.defs.recovery import dead_run_recovery

    instance = dg.DagsterInstance.from_config(str(dagster_home(tmp_path)))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = started_run(instance, gone.pid)
    line = f"run {dead.run_id[:8]} (pid {gone.pid}) died without finishing: marked failed"

    first = dead_run_recovery(dg.build_sensor_context(instance=instance))
    second = dead_run_recovery(dg.build_sensor_context(instance=instance))

    assert (first.skip_message, second.skip_message) == (line, "no run died")
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
