"""Runs that died without finishing (kill -9, out of memory, a reboot).

Such a run stays STARTED in the instance and keeps its `duckdb` pool slot: every later run
would wait for that slot forever. `release_dead_runs` is called at the start of each run
(and by the daemon's sensor): it marks a run failed when every process the run recorded is
gone, and frees its pool slots.

Dagster writes the pid of each process executing a run in the run's engine events (the run
worker, the in-process or multiprocess executor, each step subprocess). A run is alive while
one of them is alive; a pid now held by a process started after the event is a reused pid.
The instance's storage lives in DAGSTER_HOME on this machine, so its pids are this
machine's.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
from dagster._core.events import JobFailureData, RunFailureReason

from orchestration.lib.processes import process_alive

IN_FLIGHT = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def release_dead_runs(
    instance: dg.DagsterInstance | None, report: Callable[[str], None] = print
) -> list[str]:
    """Mark this instance's in-flight runs whose processes are all gone failed, free their
    pool slots, and report one line per run; the lines are returned too."""
    if instance is None:  # an ephemeral instance made for one run has no earlier runs
        return []
    lines = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_FLIGHT)):
        run = record.dagster_run
        pids = recorded_pids(instance, run.run_id)
        if not pids or any(process_alive(pid, seen_at) for pid, seen_at in pids.items()):
            continue  # alive, or not far enough to have recorded a process yet
        pools = held_pools(instance, run.run_id)
        line = dead_run_line(run.run_id, next(iter(pids)), pools)  # the run worker's
        instance.report_run_failed(
            run,
            line,
            JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        report(line)
        lines.append(line)
    return lines


def dead_run_line(run_id: str, pid: int, pools: list[str]) -> str:
    line = f"run {run_id[:8]} (pid {pid}) died without finishing: marked failed"
    if len(pools) == 1:
        return f"{line}, its {pools[0]} pool slot released"
    if pools:
        return f"{line}, its slots in pools {', '.join(pools)} released"
    return line


def recorded_pids(instance: dg.DagsterInstance, run_id: str) -> dict[int, float]:
    """Each pid the run's engine events name, with when it was first seen alive."""
    pids: dict[int, float] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None and str(pid.value).isdigit():
            pids.setdefault(int(pid.value), entry.timestamp)
    return pids


def held_pools(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys()))
    return [
        key
        for key, info in infos.items()
        if any(slot.run_id == run_id for slot in info.claimed_slots)
    ]
