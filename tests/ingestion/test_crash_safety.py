"""A run killed with SIGKILL in any phase (extract, normalize, load, dbt) is completed or
rolled back by the next run: no lost and no duplicated rows, marts equal to the ground truth.

The run to kill is a child process in its own process group, so its dbt child dies with it.
The test polls what that run leaves on disk every 20 ms and kills the whole group the moment
the aimed phase is under way. A kill freezes the disk, so the same check made again after
the kill proves that the run died inside that phase, not before or after it.

Phase markers: dlt 1.31's pipeline working dir (`<warehouse dir>/.dlt_pipelines/hubspot`) and
the target dir dagster-dbt gives each dbt invocation:

  extract    an open extract package `normalize/<random id>/<load_id>/new_jobs/` holds the
             files of some resources but not yet the pipeline state (written last), and
             nothing is in `normalize/extracted/` (where a finished extract is moved)
  normalize  normalize's output `load/new/<load_id>/new_jobs/` holds some files while its
             input `normalize/extracted/<load_id>/` is still there (both move on when done)
  load       a package in `load/normalized/<load_id>/` has jobs in `completed_jobs/` and
             jobs still in `new_jobs/` or `started_jobs/` (it moves to `load/loaded/` when done)
  dbt        a `dbt build` process in the run's group; in its target dir (its DBT_TARGET_PATH,
             read from /proc) `run/` holds the SQL of at least half the project's models and
             `run_results.json` (written when the build ends) is absent
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.sandbox.truth import Truth
from ingestion.settings import PROJECT_ROOT
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import pipeline_env
from ..kpi_compare import compare_all

RUN_JOB = (
    "import dagster as dg; from orchestration.lib.runs import run_nightly_job; "
    "run_nightly_job(dg.DagsterInstance.ephemeral())"
)
RAW = ["deals", "calls", "emails", "meetings", "tasks", "contacts", "feedback_submissions"]
POLL_SECONDS = 0.02
PHASE_DEADLINE_SECONDS = 300  # a run that never reaches the phase fails the test, not hangs it
DBT_MODELS = len(list((PROJECT_ROOT / "dbt_project" / "models").rglob("*.sql")))
HAS_PROC = Path("/proc/self/environ").exists()


@dataclass
class WatchedRun:
    """What the test knows about the run it is about to kill."""

    pgid: int
    working_dir: Path  # dlt's pipeline working dir
    dbt_target: Path | None = None  # found once the dbt build process is seen


def _names(path: Path) -> list[str]:
    """A folder's entries; none if it is not there (yet or any more) or is not a folder."""
    try:
        return os.listdir(path)
    except OSError:
        return []


def in_extract(run: WatchedRun) -> str | None:
    normalize = run.working_dir / "normalize"
    if _names(normalize / "extracted"):
        return None  # an extract was committed: extraction is over
    for folder in _names(normalize):
        if folder == "extracted":
            continue
        for load_id in _names(normalize / folder):
            tables = {
                name.split(".")[0] for name in _names(normalize / folder / load_id / "new_jobs")
            }
            if tables and "_dlt_pipeline_state" not in tables:
                return (
                    f"open extract package normalize/{folder}/{load_id} with files for "
                    f"{', '.join(sorted(tables))} and no pipeline state yet"
                )
    return None


def in_normalize(run: WatchedRun) -> str | None:
    extracted = set(_names(run.working_dir / "normalize" / "extracted"))
    for load_id in _names(run.working_dir / "load" / "new"):
        written = _names(run.working_dir / "load" / "new" / load_id / "new_jobs")
        if load_id in extracted and written:
            return (
                f"load/new/{load_id} being written ({len(written)} job files so far) from "
                f"normalize/extracted/{load_id}"
            )
    return None


def in_load(run: WatchedRun) -> str | None:
    normalized = run.working_dir / "load" / "normalized"
    for load_id in _names(normalized):
        done = _names(normalized / load_id / "completed_jobs")
        pending = _names(normalized / load_id / "new_jobs") + _names(
            normalized / load_id / "started_jobs"
        )
        if done and pending:
            return f"load package {load_id}: {len(done)} jobs completed, {len(pending)} not yet"
    return None


def in_dbt(run: WatchedRun) -> str | None:
    if run.dbt_target is None:
        run.dbt_target = _dbt_build_target(run.pgid)
        if run.dbt_target is None:
            return None
    if (run.dbt_target / "run_results.json").exists():
        return None  # the build is over
    try:
        started = [
            path
            for path in (run.dbt_target / "run").rglob("*.sql")
            if path.relative_to(run.dbt_target / "run").parts[1:2] == ("models",)
            and path.parent.suffix != ".yml"  # a schema test, not a model
        ]
    except OSError:
        return None
    if len(started) * 2 < DBT_MODELS:
        return None
    return f"dbt build in {run.dbt_target.name}: {len(started)} of {DBT_MODELS} models started"


PHASES: dict[str, Callable[[WatchedRun], str | None]] = {
    "extract": in_extract,
    "normalize": in_normalize,
    "load": in_load,
    "dbt": in_dbt,
}


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    pids = []
    for pid in filter(str.isdigit, _names(Path("/proc"))):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            pids.append(int(pid))
    return pids


def _dbt_build_target(pgid: int) -> Path | None:
    """The target dir of the `dbt build` process in the group, if one is running."""
    for pid in _group(pgid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"build" not in args or not any(os.path.basename(a) == b"dbt" for a in args):
                continue
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        for item in environ:
            if item.startswith(b"DBT_TARGET_PATH="):
                return Path(cwd, os.fsdecode(item.split(b"=", 1)[1]))
    return None


def kill_in_phase(phase: str, proc: subprocess.Popen, run: WatchedRun, log: Path) -> str:
    """SIGKILL the run's process group once `phase` is seen; what was seen, checked after."""
    detect = PHASES[phase]
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    seen = None
    while seen is None:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            pytest.fail(
                f"the run ended (exit code {proc.returncode}) before the {phase} phase was "
                "seen:\n" + "\n".join(tail)
            )
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"the {phase} phase was not seen within {PHASE_DEADLINE_SECONDS}s")
        seen = detect(run)
        if seen is None:
            time.sleep(POLL_SECONDS)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its dbt child, mid-flight
    proc.wait()
    deadline = time.monotonic() + 30
    while HAS_PROC and _group(proc.pid):  # until dbt has let go of the warehouse too
        assert time.monotonic() < deadline, "the killed run's processes did not exit"
        time.sleep(POLL_SECONDS)
    # The kill froze the disk: the marker still holding proves the run died in the phase.
    frozen = detect(run)
    assert frozen is not None, f"saw {seen}, but the killed run had already left {phase}"
    return frozen


@pytest.mark.parametrize(
    "phase",
    [
        "extract",
        "normalize",
        "load",
        pytest.param(
            "dbt",
            marks=pytest.mark.skipif(not HAS_PROC, reason="finds the dbt process through /proc"),
        ),
    ],
)
def test_rerun_after_kill_equals_a_clean_run(phase, sandbox, truth: Truth, tmp_path, monkeypatch):
    env = pipeline_env(sandbox, tmp_path)
    # Where ingestion puts dlt's working dir (Settings.dlt_pipelines_dir / pipeline name).
    working_dir = tmp_path / ".dlt_pipelines" / "hubspot"
    log = tmp_path / "killed_run.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_JOB],
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        killed_in = kill_in_phase(phase, proc, WatchedRun(proc.pid, working_dir), log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print(f"killed in {phase}: {killed_in}")

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = run_nightly_job(dg.DagsterInstance.ephemeral())
    assert result.success, first_failure(result)

    # Whatever the killed run left half done was completed or dropped, not left pending.
    for pending in (working_dir / "normalize" / "extracted", working_dir / "load" / "normalized"):
        assert [n for n in _names(pending) if (pending / n).is_dir()] == [], pending
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
