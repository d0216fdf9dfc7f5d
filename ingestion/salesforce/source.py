"""dlt source of one Salesforce connection: every object the warehouse reads, with every
field the integration user can see (the org's own `__c` fields included: `Sales_Region__c`
lands as column `sales_region__c`), into the connection's raw schema.

- Incremental on `SystemModstamp` (history objects without it: `CreatedDate`): each run
  asks for rows stamped at or after the newest stamp already loaded minus OVERLAP, ordered
  by stamp then Id, and merges them on Id. The overlap catches a row committed late with
  an earlier stamp; the merge keeps one row per Id, so the re-read rows change nothing.
- A window (a partition day or a backfill range) reads from its start when that is earlier:
  a backfill re-reads the changes of its days, the state's newest stamp stays.
- Deletes: objects with `IsDeleted` are read through `queryAll`, so a record a user deleted
  (or merged away, with `MasterRecordId`) arrives as a change with IsDeleted = true.
- History (OpportunityHistory, OpportunityFieldHistory, LeadHistory) is merged on Id like
  everything else and never removed, so it stays in the warehouse after Salesforce drops
  it (field history: 18 months).
- Values keep Salesforce's meaning: money in the record's own currency (the dbt models
  convert with the dated conversion rates), dates as dates, datetimes in UTC; column types
  come from each object's describe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import dlt
from dlt.sources import DltResource, DltSource

from ingestion.salesforce.client import SalesforceClient, SalesforceRefused

log = logging.getLogger(__name__)

# Feedback Management's objects (CSAT and NPS answers), read last.
FEEDBACK_MANAGEMENT = (
    "Survey",
    "SurveyQuestion",
    "SurveyInvitation",
    "SurveyResponse",
    "SurveyQuestionResponse",
    "SurveySubject",
)
# Every object read, in load order. ForecastingQuota (with the fiscal Period it covers)
# comes with Collaborative Forecasts; the OPTIONAL ones only some orgs have.
OBJECTS = (
    "User",
    "UserRole",
    "OpportunityStage",
    "CurrencyType",
    "DatedConversionRate",
    "Account",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityFieldHistory",
    "Lead",
    "LeadHistory",
    "Contact",
    "Task",
    "Event",
    "Period",
    "ForecastingQuota",
    *FEEDBACK_MANAGEMENT,
)
# Objects of features an org may not have: multiple currencies (CurrencyType; with advanced
# currency management, DatedConversionRate) and Feedback Management (the Survey* objects).
# An org without them answers their describe NOT_FOUND: they are not read (their resources
# load no rows, so no table is made; the models read the org as single-currency, without
# survey answers).
OPTIONAL = frozenset({"CurrencyType", "DatedConversionRate", *FEEDBACK_MANAGEMENT})
ABSENT = ("NOT_FOUND", "INVALID_TYPE")  # how Salesforce answers for an object it lacks
# Rows stamped this long before the newest loaded stamp are read again on the next run.
OVERLAP = timedelta(minutes=5)
# Salesforce field type -> dlt column type. Compound fields (address, location) are not
# read: their parts are fields of their own.
TYPES = {
    "id": "text",
    "reference": "text",
    "boolean": "bool",
    "int": "bigint",
    "long": "bigint",
    "double": "double",
    "percent": "decimal",
    "currency": "decimal",
    "date": "date",
    "datetime": "timestamp",
}
COMPOUND = {"address", "location"}


def table_name(object_name: str) -> str:
    """The raw table of a Salesforce object (dlt's snake case: OpportunityHistory ->
    opportunity_history)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in object_name).lstrip("_")


def readable_fields(describe: dict) -> list[dict]:
    return [f for f in describe["fields"] if f.get("type") not in COMPOUND]


def columns_of(fields: list[dict]) -> dict[str, dict[str, Any]]:
    """dlt column hints from the describe's fields (unknown types land as text)."""
    return {
        f["name"]: {"data_type": TYPES.get(f["type"], "text"), "nullable": True} for f in fields
    }


def soql(object_name: str, fields: list[str], cursor: str, since: datetime | None) -> str:
    where = f" WHERE {cursor} >= {since.strftime('%Y-%m-%dT%H:%M:%SZ')}" if since else ""
    return f"SELECT {', '.join(fields)} FROM {object_name}{where} ORDER BY {cursor}, Id"


def parse_datetime(value: str) -> datetime:
    """Salesforce's `2024-01-05T10:00:00.000+0000` as an aware UTC datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


def converter(fields: list[dict]):
    """A function typing one record's JSON values by its describe (dates, datetimes, money
    as exact decimals)."""
    by_type: dict[str, list[str]] = {}
    for f in fields:
        by_type.setdefault(TYPES.get(f["type"], "text"), []).append(f["name"])
    datetimes, dates = by_type.get("timestamp", []), by_type.get("date", [])
    decimals = by_type.get("decimal", [])

    def convert(record: dict[str, Any]) -> dict[str, Any]:
        for name in datetimes:
            if record.get(name) is not None:
                record[name] = parse_datetime(record[name])
        for name in dates:
            if record.get(name) is not None:
                record[name] = date.fromisoformat(record[name])
        for name in decimals:
            if record.get(name) is not None:
                record[name] = Decimal(str(record[name]))
        return record

    return convert


def object_resource(
    client: SalesforceClient,
    object_name: str,
    describe: dict,
    window: tuple[datetime, datetime] | None = None,
) -> DltResource:
    fields = readable_fields(describe)
    names = [f["name"] for f in fields]
    cursor = "SystemModstamp" if "SystemModstamp" in names else "CreatedDate"
    include_deleted = "IsDeleted" in names
    convert = converter(fields)

    @dlt.resource(
        name=table_name(object_name),
        primary_key="Id",
        write_disposition="merge",
        columns=columns_of(fields),
    )
    def records() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state()
        newest = state.get("newest")
        since = parse_datetime(newest) - OVERLAP if newest else None
        if since is not None and window is not None:
            since = min(since, window[0])
        query = soql(object_name, names, cursor, since)
        for page in client.query(query, include_deleted=include_deleted):
            rows = [convert(r) for r in page]
            if rows:
                stamp = max(r[cursor] for r in rows)
                if newest is None or stamp > parse_datetime(newest):
                    newest = stamp.isoformat()
                    state["newest"] = newest
                yield rows

    return records()


def salesforce_source(
    client: SalesforceClient,
    objects: tuple[str, ...] = OBJECTS,
    describes: dict | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> DltSource:
    """Every object of `objects` (from the start of `window` too, when it is earlier than
    where the last load ended) plus `extractions` (one row per run: the org's clock then,
    which freshness is measured against). `describes` (object -> describe) are read from
    the org when not given; reading them is the run's first request (login included), so a
    wrong login URL, secret or permission stops it before anything is loaded."""
    describes = describes or read_describes(client, objects)
    crm_clock = client.clock or datetime.now(UTC)  # before any record is read

    @dlt.source(name="salesforce", max_table_nesting=0)
    def source():
        for name in objects:
            if name in describes:
                yield object_resource(client, name, describes[name], window)
            else:  # an object the org lacks: a resource without rows (no table is made)
                yield dlt.resource([], name=table_name(name), write_disposition="merge")
        yield _extractions(client, crm_clock)

    return source()


def read_describes(client: SalesforceClient, objects: tuple[str, ...]) -> dict[str, dict]:
    """Each object's describe; an OPTIONAL object the org does not have is left out."""
    found = {}
    for name in objects:
        try:
            found[name] = client.describe(name)
        except SalesforceRefused as exc:
            if name not in OPTIONAL or exc.code not in ABSENT:
                raise
            log.info("Salesforce org has no %s: not read", name)
    return found


def _extractions(client: SalesforceClient, crm_clock: datetime) -> DltResource:
    @dlt.resource(name="extractions", write_disposition="append")
    def extractions():
        yield {
            "crm_clock_at": crm_clock,
            "crm_host": urlsplit(client.instance_url or client.login_url).netloc,
        }

    return extractions()
