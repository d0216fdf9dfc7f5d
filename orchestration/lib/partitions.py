"""Daily partitions in the reporting time zone: partition D is the CRM changes made on
local day D. The nightly schedule runs the last complete day; a backfill of a range is
one run (one writer on DuckDB and on dlt's state)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from ingestion.settings import load_settings_or_defaults

_SETTINGS = load_settings_or_defaults()
TIMEZONE = _SETTINGS.reporting_timezone
DAILY = dg.DailyPartitionsDefinition(
    start_date=_SETTINGS.history_start_date.isoformat(), timezone=TIMEZONE
)


def last_complete_day(now: datetime | None = None) -> str:
    """The partition key of yesterday in the reporting time zone."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(TIMEZONE))
    return (local.date() - timedelta(days=1)).isoformat()


def window_of(first: str, last: str) -> tuple[datetime, datetime]:
    """[start of day `first`, start of the day after `last`) in UTC."""
    tz = ZoneInfo(TIMEZONE)
    start = datetime.combine(date.fromisoformat(first), datetime.min.time(), tz)
    end = datetime.combine(date.fromisoformat(last) + timedelta(days=1), datetime.min.time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def run_window(tags: dict[str, str]) -> tuple[str, str] | None:
    """The first and last partition day of a run, from its tags (None: not partitioned)."""
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    first = tags.get("dagster/asset_partition_range_start")
    last = tags.get("dagster/asset_partition_range_end")
    return (first, last) if first and last else None
