"""Run the nightly job in this process (demo, tests) and read why a run failed."""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys

import dagster as dg

from ingestion.settings import PROJECT_ROOT
from orchestration.lib.recovery import release_dead_runs


class _ProgressHandler(logging.Handler):
    """Prints step starts and ends and each raw table loaded (dbt prints its own lines)."""

    def __init__(self) -> None:
        super().__init__()
        # A run over several days materializes every raw table once per day: say it once.
        self.loaded: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        if event.event_type_value == "STEP_START":
            print(f"    step {event.step_key} started", flush=True)
        elif event.event_type_value == "STEP_SUCCESS":
            print(f"    step {event.step_key} done", flush=True)
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            key = event.asset_key.to_user_string()
            if key.startswith("raw_") and key not in self.loaded:
                self.loaded.add(key)
                print(f"      loaded {key}", flush=True)
        elif event.event_type_value == "STEP_FAILURE":
            print(f"    step {event.step_key} FAILED", flush=True)


@dg.logger
def progress_logger(_init_context) -> logging.Logger:
    log = logging.Logger("crm_warehouse.progress", level=logging.DEBUG)
    log.addHandler(_ProgressHandler())
    return log


def run_nightly_job(
    instance: dg.DagsterInstance | None = None,
    quiet: bool = True,
    first_day: str | None = None,
    last_day: str | None = None,
    asset_selection: list[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the nightly job in this process for the days first_day..last_day (default: the
    last complete day by the CRM's clock; one day or a range, always one run); quiet
    prints progress lines instead of logs; asset_selection: only these assets (and their
    checks), default all."""
    release_dead_runs(instance)  # a killed run must not hold the duckdb pool slot forever
    from orchestration.definitions import defs
    from orchestration.lib.partitions import last_complete_crm_day

    run_config: dict = {}
    if quiet:
        defs = dg.Definitions.merge(defs, dg.Definitions(loggers={"progress": progress_logger}))
        run_config = {"loggers": {"progress": {}}}
    job = defs.resolve_job_def("nightly_warehouse")
    first_day = first_day or last_complete_crm_day()
    last_day = last_day or first_day
    tags = {
        "dagster/asset_partition_range_start": first_day,
        "dagster/asset_partition_range_end": last_day,
    }
    return job.execute_in_process(
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        tags=tags,
        asset_selection=asset_selection,
    )


def first_failure(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        message = step_failure_message(event)
        if message is not None:
            return f"{event.step_key}: {message}"
    return "the run failed; open `make dev` to read its logs"


def step_failure_message(event: dg.DagsterEvent) -> str | None:
    """The one line saying why a step failed (None: not a step failure, or no reason given)."""
    if not (event.is_step_failure and event.step_failure_data):
        return None
    err = event.step_failure_data.error
    user = event.step_failure_data.user_failure_data
    if user and user.description:
        return _one_line(user.description)
    if err is not None:
        return _one_line((err.cause or err).message)
    return None


def _one_line(message: str) -> str:
    """The line of an error that names what failed (dbt lists failing nodes as ERROR/FAIL)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in message.splitlines()]
    failing = [line for line in lines if re.search(r"\b(ERROR|FAIL)\b", line) and " of " in line]
    if failing:
        names = [
            re.sub(r"^\d+ of \d+ (ERROR|FAIL)\s+(\d+\s+)?", "", f).split(" ..")[0] for f in failing
        ]
        return f"dbt build failed: {', '.join(dict.fromkeys(names))} (see the run's logs in `make dev`)"
    return next((line for line in reversed(lines) if line), "unknown error")


def project_instance() -> dg.DagsterInstance:
    """The persistent instance in $DAGSTER_HOME, defaulting to the project's .dagster_home/."""
    if not os.environ.get("DAGSTER_HOME"):
        home = PROJECT_ROOT / ".dagster_home"
        home.mkdir(exist_ok=True)
        config = home / "dagster.yaml"
        if not config.exists():
            shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", config)
        os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def main() -> int:
    """`make run`: the nightly job once, now, for the last complete day, recorded in
    DAGSTER_HOME (so `make dev` shows it); progress lines, and on failure the failed step's
    one line last on stderr and exit code 1."""
    from ingestion.connections import load_connections
    from ingestion.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        crms = ", ".join(c.base_url for c in load_connections(settings))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"==> nightly_warehouse: {crms} -> {settings.warehouse_path}", flush=True)
    result = run_nightly_job(project_instance())
    if not result.success:
        print(f"error: {first_failure(result)}", file=sys.stderr)
        return 1
    print(f"==> done: run {result.run_id[:8]} (make dev shows it)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
