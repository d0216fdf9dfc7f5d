"""The nightly job that materializes everything, and its schedule."""

from __future__ import annotations

import dagster as dg

from ingestion.settings import load_settings_or_defaults
from orchestration.lib.partitions import TIMEZONE, crm_clock, last_complete_day

# Transient failures (the CRM still failing after the connector's own retries: 5xx, 429,
# timeouts, dropped connections) retry the step; errors a retry cannot fix (bad token or
# URL, failed audit, failed dbt test, corrupt or locked warehouse) raise UserFacingError,
# which Dagster does not retry.
# Dagster waits delay * (2**n - 1) before retry n (dagster/_core/definitions/policy.py
# calculate_delay): 10 s, 30 s, 70 s with the default RETRY_DELAY_SECONDS. No jitter: one
# job hits the CRM, so there is no herd to spread, and the waits stay as documented.
STEP_RETRY = dg.RetryPolicy(
    max_retries=3,
    delay=load_settings_or_defaults().retry_delay_seconds,
    backoff=dg.Backoff.EXPONENTIAL,
)


def retry_delays(policy: dg.RetryPolicy = STEP_RETRY) -> list[float]:
    """The waits before each retry of a failed step, as Dagster computes them."""
    return [policy.calculate_delay(n) for n in range(1, policy.max_retries + 1)]


nightly_job = dg.define_asset_job(
    "nightly_warehouse",
    selection=dg.AssetSelection.all(),
    description="Extract the CRM, load raw tables, build and test every dbt model.",
    op_retry_policy=STEP_RETRY,
    # A run that still fails (e.g. its process died) is retried from the failed step once,
    # by the daemon (`run_retries` in orchestration/dagster.yaml).
    tags={"dagster/max_retries": "1", "dagster/retry_strategy": "FROM_FAILURE"},
)


# At 02:00 in the reporting time zone, for the last complete day by the CRM's clock (one
# request asks it; the machine's clock when the CRM cannot be asked, and the run then says
# why in one line). The day is the run key: a CRM whose clock stands still (the sandbox)
# is not read again for the same day.
@dg.schedule(
    name="nightly_warehouse_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    now = context.scheduled_execution_time
    day = last_complete_day(min(crm_clock() or now, now))  # no partition lies ahead of now
    return dg.RunRequest(run_key=day, partition_key=day)


defs = dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
