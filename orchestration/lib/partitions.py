"""Daily partitions in the reporting time zone: partition D is the CRM changes made on
local day D. The nightly schedule runs the last complete day; a backfill of a range is
one run (one writer on DuckDB and on dlt's state).

The CRM's clock, not the machine's, says which days are complete: the CRM answers every
request with its clock (the Date header), and a run reads changes up to it. Against
HubSpot the two agree; the sandbox's clock stands still at its own date.
"""

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


def crm_clock() -> datetime | None:
    """The CRM's clock now (its Date header), or None when it cannot be asked (no CRM
    configured, a wrong setting, unreachable: the run itself then says so in one line)."""
    from ingestion.connections import load_connections
    from ingestion.hubspot.preflight import CrmUnavailable
    from ingestion.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        # Several connections: the earliest clock (a night is complete when it is for all).
        return min(_clock(c, settings) for c in load_connections(settings))
    except (ConfigError, CrmUnavailable):
        return None


def _clock(connection, settings) -> datetime:
    from ingestion.hubspot.preflight import check_crm
    from ingestion.salesforce.client import SalesforceClient

    if connection.kind == "salesforce":
        client = SalesforceClient(
            connection.base_url, *connection.client_credentials(settings),
            ca_bundle=connection.ca_bundle, reserve=connection.api_reserve,
        )  # fmt: skip
        client.limits()
        return client.clock or datetime.now(UTC)
    return check_crm(connection.base_url, connection.token(settings))


def last_complete_crm_day() -> str:
    """The partition key of the CRM's yesterday (the machine's, if the CRM cannot be asked)."""
    return last_complete_day(crm_clock())


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
