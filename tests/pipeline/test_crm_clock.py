"""The CRM's clock, not the machine's, decides what a night covers: the run's partition day,
the warehouse's as-of point, the serving file's `publication.data_as_of` and the pages'
"Data as of" line. The sandbox's clock stands at 15 Oct 2026 12:00 UTC, weeks before
the machine's."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from ingestion.sandbox.generator import Organisation
from orchestration.reports.build import reports_dir_for

from ..conftest import NightlyRuns

BAKU = ZoneInfo("Asia/Baku")


def test_the_night_covers_the_crms_last_complete_day(nightly_runs: NightlyRuns, org: Organisation):
    crm_now = org.now.astimezone(UTC)
    crm_yesterday = (crm_now.astimezone(BAKU).date() - timedelta(days=1)).isoformat()
    tags = nightly_runs.first.dagster_run.tags
    assert tags["dagster/asset_partition_range_start"] == crm_yesterday
    assert tags["dagster/asset_partition_range_end"] == crm_yesterday


def test_as_of_is_the_crms_clock_everywhere(nightly_runs: NightlyRuns, org: Organisation):
    crm_now = org.now.astimezone(UTC)
    with duckdb.connect(nightly_runs.warehouse, read_only=True) as con:
        newest, as_of_date, as_of_at = con.execute(
            "select newest_change_at, as_of_date, as_of_at from intermediate.int_data_as_of"
        ).fetchone()
    assert as_of_at.astimezone(UTC) == crm_now
    assert newest.astimezone(UTC) <= crm_now
    assert as_of_date == crm_now.astimezone(BAKU).date() + timedelta(days=1)

    serving = Path(nightly_runs.warehouse).with_name("serving.duckdb")
    with duckdb.connect(str(serving), read_only=True) as con:
        (data_as_of,) = con.execute("select data_as_of from main.publication").fetchone()
    assert data_as_of.astimezone(UTC) == crm_now

    local = crm_now.astimezone(BAKU)
    expected = f"Data as of {local.day} {local:%b %Y}, {local:%H:%M} Asia/Baku"
    index = (reports_dir_for(Path(nightly_runs.warehouse)) / "index.html").read_text()
    assert expected in index, expected
