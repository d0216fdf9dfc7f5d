"""`make backfill FROM=2026-03-01 TO=2026-03-31`: re-extract the CRM changes of those
days (reporting time zone) and rebuild everything downstream, as ONE run recorded in
DAGSTER_HOME (so `make dev` shows it).

Refuses, with one line, a range that is not a range of complete days, and a backfill while
a nightly run is in progress (both would write DuckDB and dlt's state): wait, then rerun.
A warehouse that was never loaded gets its whole history in this run.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import dagster as dg

from ingestion.settings import ConfigError
from orchestration.lib.config import check_all_settings
from orchestration.lib.partitions import DAILY, last_complete_crm_day
from orchestration.lib.runs import first_failure, project_instance, run_nightly_job

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def check_range(first: str, last: str, newest_day: str | None = None) -> str | None:
    """Why the range cannot be backfilled, or None. newest_day: the last complete day by
    the CRM's clock (default: asked from the CRM)."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return f"FROM={first} TO={last}: use dates as YYYY-MM-DD"
    newest = date.fromisoformat(newest_day or last_complete_crm_day())
    oldest = DAILY.start.date()
    if start > end:
        return f"FROM={first} is after TO={last}"
    if end > newest:
        return f"TO={last} is not a complete day yet by the CRM's clock: the newest is {newest}"
    if start < oldest:
        return f"FROM={first} is before the first day ({oldest}; HISTORY_START_DATE)"
    return None


def running_nightly(instance: dg.DagsterInstance) -> str | None:
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name="nightly_warehouse", statuses=IN_PROGRESS), limit=1
    )
    return runs[0].run_id if runs else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    args = parser.parse_args(argv)
    try:
        settings = check_all_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problem = check_range(args.first, args.last)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    instance = project_instance()
    busy = running_nightly(instance)
    if busy:
        print(
            f"error: nightly run {busy[:8]} is in progress: wait for it to finish "
            "(make dev shows it), then run the backfill again",
            file=sys.stderr,
        )
        return 1
    if not settings.warehouse_path.exists():
        print("note: nothing loaded yet, so this run loads the whole history first")
    print(f"==> backfill {args.first} .. {args.last} as one run")
    result = run_nightly_job(instance, first_day=args.first, last_day=args.last)
    if not result.success:
        print(f"error: {first_failure(result)}", file=sys.stderr)
        return 1
    print(f"==> done: run {result.run_id[:8]} (make dev shows it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
