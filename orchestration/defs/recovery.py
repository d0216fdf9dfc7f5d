"""Runs that died (kill -9, out of memory) under `make dev`: the daemon marks them failed
and frees their `duckdb` pool slot within a minute, so the runs waiting for it go on and
`run_retries` retries the dead night once (orchestration/lib/recovery.py)."""

import sys

import dagster as dg

from orchestration.lib.recovery import release_dead_runs


def _report(context: dg.SensorEvaluationContext, line: str) -> None:
    context.log.warning(line)
    print(line, file=sys.stderr, flush=True)  # the daemon's terminal (`make dev`)


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def dead_run_recovery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Marks runs whose processes are gone failed and releases their pool slots."""
    lines = release_dead_runs(context.instance, report=lambda line: _report(context, line))
    return dg.SkipReason("; ".join(lines) or "no run died")


defs = dg.Definitions(sensors=[dead_run_recovery])
