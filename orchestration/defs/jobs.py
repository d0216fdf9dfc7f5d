"""The nightly job that materializes everything, and its schedule."""

from __future__ import annotations

import dagster as dg

from ingestion.settings import load_settings_or_defaults

# Transient failures (network after the connector's own retries, a locked DuckDB file)
# retry the step; errors a retry cannot fix (bad token, failed audit, failed dbt test)
# raise UserFacingError, which Dagster does not retry.
STEP_RETRY = dg.RetryPolicy(
    max_retries=3,
    delay=load_settings_or_defaults().retry_delay_seconds,  # then 2x, 4x
    backoff=dg.Backoff.EXPONENTIAL,
    jitter=dg.Jitter.PLUS_MINUS,
)

nightly_job = dg.define_asset_job(
    "nightly_warehouse",
    selection=dg.AssetSelection.all(),
    description="Extract the CRM, load raw tables, build and test every dbt model.",
    op_retry_policy=STEP_RETRY,
    # A run that still fails (e.g. its process died) is retried from the failed step once,
    # by the daemon (`run_retries` in orchestration/dagster.yaml).
    tags={"dagster/max_retries": "1", "dagster/retry_strategy": "FROM_FAILURE"},
)

# At 02:00 in the reporting time zone, for the last complete day (the partition's zone).
nightly_schedule = dg.build_schedule_from_partitioned_job(
    nightly_job,
    name="nightly_warehouse_schedule",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
