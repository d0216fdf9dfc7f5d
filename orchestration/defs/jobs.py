"""The nightly job that materializes everything, and its schedule."""

from __future__ import annotations

import dagster as dg

nightly_job = dg.define_asset_job(
    "nightly_warehouse",
    selection=dg.AssetSelection.all(),
    description="Extract the CRM, load raw tables, build and test every dbt model.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_warehouse_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Baku",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
