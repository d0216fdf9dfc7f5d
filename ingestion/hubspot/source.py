"""dlt source for the HubSpot CRM v3 API, declared as a rest_api config.

Works unchanged against api.hubapi.com and the bundled sandbox: only the base URL and the
token differ. Code lives only where the API needs it: unpacking property history into its
own rows and lifting association ids and primary teams into columns.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import dlt
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import requests
from dlt.destinations.exceptions import DatabaseException, DestinationConnectionError
from dlt.sources import DltResource, DltSource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import RESTAPIConfig, rest_api_source

from ingestion.http import (
    DAILY_LIMIT_USED_UP,
    CrmUnavailable,
    CrmUnreachable,
    crm_session,
    is_daily_limit,
    json_of,
    transport_failure,
)
from ingestion.hubspot.arrow_pages import (
    TIMESTAMP,
    ChildTable,
    child_hints,
    child_tables,
    page_tables,
    unnest_child_tables,
)
from ingestion.hubspot.changes import ChangedRecords, list_pages, read_batch, to_datetime
from ingestion.hubspot.cpu import CPU_BOUND
from ingestion.hubspot.json_answers import (
    Answer,
    Digests,
    NumericIds,
    Shape,
    answer_tables,
    any_in,
    numeric_key,
    numeric_keys,
    parse,
    unique_keys,
)
from ingestion.settings import DEFAULT_DUCKDB_MEMORY_LIMIT
from ingestion.warehouse import crm_pipeline

# HubSpot's default contact lifecycle stages, in funnel order.
LIFECYCLE_STAGES = [
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
]
# Properties requested per object; each lands as a text column `properties__<name>`.
OBJECT_PROPERTIES: dict[str, list[str]] = {
    "companies": [
        "name",
        "domain",
        "city",
        "industry",
        "hubspot_owner_id",
        "createdate",
        "hs_lastmodifieddate",
        "hs_merged_object_ids",
    ],
    "contacts": [
        "firstname",
        "lastname",
        "email",
        "lifecyclestage",
        "associatedcompanyid",
        "hubspot_owner_id",
        "createdate",
        "lastmodifieddate",
        "hs_merged_object_ids",
        *(f"hs_lifecyclestage_{stage}_date" for stage in LIFECYCLE_STAGES),
    ],
    "deals": [
        "dealname",
        "amount",
        "amount_in_home_currency",
        "deal_currency_code",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hubspot_owner_id",
        "hs_is_closed",
        "hs_is_closed_won",
        "hs_manual_forecast_category",
        "hs_lastmodifieddate",
        "hs_merged_object_ids",
    ],
    "calls": [
        "hs_timestamp",
        "hubspot_owner_id",
        "hs_call_title",
        "hs_call_direction",
        "hs_call_disposition",
        "hs_call_duration",
        "hs_call_status",
        "hs_lastmodifieddate",
    ],
    "emails": [
        "hs_timestamp",
        "hubspot_owner_id",
        "hs_email_subject",
        "hs_email_direction",
        "hs_email_status",
        "hs_lastmodifieddate",
    ],
    "meetings": [
        "hs_timestamp",
        "hubspot_owner_id",
        "hs_meeting_title",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
        "hs_meeting_outcome",
        "hs_lastmodifieddate",
    ],
    "tasks": [
        "hs_timestamp",
        "hubspot_owner_id",
        "hs_task_subject",
        "hs_task_status",
        "hs_task_type",
        "hs_task_priority",
        "hs_lastmodifieddate",
    ],
    "goal_targets": [
        "hs_goal_name",
        "hs_goal_type",
        "hs_milestone",
        "hs_target_amount",
        "hs_start_datetime",
        "hs_end_datetime",
        "hs_assignee_user_id",
        "hs_createdate",
        "hs_lastmodifieddate",
    ],
    "feedback_submissions": [
        "hs_survey_type",
        "hs_survey_name",
        "hs_value",
        "hs_submission_timestamp",
        "hs_lastmodifieddate",
    ],
}
DEAL_HISTORY_PROPERTIES = [
    "dealstage",
    "amount",
    "amount_in_home_currency",
    "closedate",
    "hubspot_owner_id",
    "hs_manual_forecast_category",
]
ENGAGEMENTS = ("calls", "emails", "meetings", "tasks")
# Loaded incrementally: the first run lists every record; later runs read only records
# modified since the previous run's newest updatedAt (ingestion/hubspot/changes.py).
# Every CRM object is: goal targets too (re-listing thousands of quotas every night cost
# ~50 requests of a 100-per-10-s allowance, for a handful of new ones).
INCREMENTAL = (
    "companies",
    "contacts",
    "deals",
    *ENGAGEMENTS,
    "goal_targets",
    "feedback_submissions",
)
EPOCH = "1970-01-01T00:00:00.000Z"
# Associations requested per object, by the object types they point to.
ASSOCIATIONS = {
    "deals": ["companies"],
    **{e: ["deals"] for e in ENGAGEMENTS},
    "feedback_submissions": ["deals", "companies"],
}


def unpack_history(deal: dict[str, Any]) -> dict[str, Any]:
    """Turn `propertiesWithHistory` into rows of the nested table `deals__property_history`."""
    history = deal.pop("propertiesWithHistory", None) or {}
    deal["property_history"] = [
        {
            "deal_id": deal["id"],
            "property_name": name,
            "value": change.get("value"),
            "changed_at": change.get("timestamp"),
            "source_type": change.get("sourceType"),
        }
        for name, changes in history.items()
        for change in changes
    ]
    return deal


def tag_associations(record: dict[str, Any]) -> dict[str, Any]:
    """Give each nested association row the id of the record it belongs to."""
    for assoc in (record.get("associations") or {}).values():
        for row in assoc.get("results") or []:
            row["from_id"] = record["id"]
    return record


class RecordGuard:
    """Keeps records that cannot be keyed from breaking the load; dbt quarantines them.

    A record without an id gets `missing-id:<content hash>` and `_missing_id`; a record
    whose id was already served in this extraction with different content gets
    `<id>#conflict-<hash>` and `_duplicate_of` (the first copy is the one kept).
    One guard per resource and extraction. Records landed from parsed answers
    (json_answers.py) are registered with their Arrow digest (`register`): a copy served
    again is compared with it in the same form.
    """

    def __init__(self, shape: Shape | None = None, digests: Digests | None = None) -> None:
        self.seen: dict[str, bytes] = {}
        self.parsed = NumericIds()  # ids landed from parsed answers, with Arrow digests
        self.shape = shape
        self.digests = digests

    def keep(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The guarded record, or None for an exact copy of one already served (its
        child rows would otherwise land twice)."""
        digest = hashlib.sha1(
            orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str), usedforsecurity=False
        ).digest()
        record_id = record.get("id")
        if record_id in (None, ""):
            record["id"] = f"missing-id:{digest.hex()[:16]}"
            record["_missing_id"] = True
            return record
        record_id = str(record_id)
        first = self.seen.get(record_id)
        if first is None:
            first = self._first_parsed(record_id)
        if first is None:
            self.seen[record_id] = digest
            return record
        if first == (digest if isinstance(first, bytes) else self._parsed_digest(record)):
            return None
        record["id"] = f"{record_id}#conflict-{digest.hex()[:12]}"
        record["_duplicate_of"] = record_id
        return record

    def all_fresh(self, ids: pa.Array, keys: np.ndarray) -> bool:
        """Whether none of these ids (numeric_keys) needs the guard: each new, and once."""
        if not unique_keys(keys) or self.parsed.any_of(keys):
            return False
        return not any_in(ids, self.seen)

    def register(self, keys: np.ndarray, records: pa.StructArray) -> None:
        """Records landed from parsed answers, with their Arrow digests."""
        assert self.digests is not None
        self.parsed.add(keys, self.digests.of(records))

    def _first_parsed(self, record_id: str) -> int | None:
        """The Arrow digest of the copy of this id landed from parsed answers, if any."""
        key = numeric_key(record_id)
        found, digest = self.parsed.get(key) if key is not None else (False, None)
        return digest if found else None

    def _parsed_digest(self, record: dict[str, Any]) -> int | None:
        """The Arrow digest of a record as parsed answers give it (None: it does not
        fit the listing's shape, so it differs from any record that did)."""
        assert self.shape is not None and self.digests is not None
        parsed = parse([orjson.dumps({"results": [record]})], self.shape)
        return None if parsed is None else self.digests.of(parsed)[0]


class ServedIds:
    """The ids the listings of one object type (live and archived) served so far, on a
    first load, which appends: a record both serve (deleted or restored while they were
    read) lands once, the first copy, as merging on its id would keep one. The listings
    run side by side, hence the lock."""

    def __init__(self) -> None:
        # A dict, not a set: Python's garbage collector skips a dict of strings (it would
        # walk a set of a million ids again and again).
        self.ids: dict[str, None] = {}
        self.parsed = NumericIds()  # those landed from parsed answers
        self.lock = threading.Lock()

    def first_copies(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        with self.lock:
            for record in records:
                key = numeric_key(record["id"])
                if record["id"] in self.ids or (key is not None and self.parsed.get(key)[0]):
                    continue
                self.ids[record["id"]] = None
                kept.append(record)
        return kept

    def all_new(self, ids: pa.Array, keys: np.ndarray) -> bool:
        """Registers parsed records' ids (numeric_keys) if none was served before (True);
        else registers none."""
        with self.lock:
            if self.parsed.any_of(keys) or any_in(ids, self.ids):
                return False
            self.parsed.add(keys)
            return True


def new_tables(pipeline: dlt.Pipeline) -> set[str]:
    """The CRM object tables without a row in the warehouse yet (nor in their child
    tables): their first load appends instead of merging through a staging copy (dlt's
    load of the medium preset: 6.5 s -> 3.2 s). None while a load package is pending (it
    lands first) or when the warehouse cannot be read here (then merge, as always)."""
    if pipeline.has_pending_data:
        return set()
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return set(INCREMENTAL)
            existing = {
                row[0]
                for row in client.execute_sql(
                    "select table_name from information_schema.tables where table_schema = %s",
                    client.dataset_name,
                )
            }

            def has_rows(table: str) -> bool:
                name = client.make_qualified_table_name(table)
                return table in existing and bool(
                    client.execute_sql(f"select 1 from {name} limit 1")
                )

            return {
                name
                for name in INCREMENTAL
                if not any(has_rows(t) for t in [name, *(c.name for c in children_of(name))])
            }
    except (DatabaseException, DestinationConnectionError):  # the load says what to fix
        return set()


def first_associated_id(record: dict[str, Any], kind: str) -> str | None:
    """The lowest associated id of one kind (ids are numeric strings)."""
    results = (record.get("associations") or {}).get(kind, {}).get("results") or []
    if len(results) < 2:
        return results[0]["id"] if results else None
    return min((r["id"] for r in results), key=lambda i: (len(i), i))


def lift_deal_association(engagement: dict[str, Any]) -> dict[str, Any]:
    """Expose the first associated deal as a column (all associations stay nested)."""
    tag_associations(engagement)
    engagement["associated_deal_id"] = first_associated_id(engagement, "deals")
    return engagement


def lift_feedback_links(submission: dict[str, Any]) -> dict[str, Any]:
    """Expose the first associated deal and company of a feedback submission as columns."""
    tag_associations(submission)
    submission["associated_deal_id"] = first_associated_id(submission, "deals")
    submission["associated_company_id"] = first_associated_id(submission, "companies")
    return submission


def lift_primary_team(owner: dict[str, Any]) -> dict[str, Any]:
    teams = owner.get("teams") or []
    primary = next((t for t in teams if t.get("primary")), teams[0] if teams else {})
    for team in teams:
        team["owner_id"] = owner["id"]
    owner["primary_team_id"] = primary.get("id")
    owner["primary_team_name"] = primary.get("name")
    return owner


def tag_stages(pipeline: dict[str, Any]) -> dict[str, Any]:
    for stage in pipeline.get("stages") or []:
        stage["pipeline_id"] = pipeline["id"]
    return pipeline


def _requested(name: str, custom: list[str] | None) -> list[str]:
    return OBJECT_PROPERTIES[name] + [p for p in custom or [] if p not in OBJECT_PROPERTIES[name]]


# Columns holding the lowest associated id of a kind (first_associated_id), per object.
LIFTED_ASSOCIATIONS = {
    **{e: {"associated_deal_id": "deals"} for e in ENGAGEMENTS},
    "feedback_submissions": {
        "associated_deal_id": "deals",
        "associated_company_id": "companies",
    },
}


def _enrichment(name: str) -> list[Any]:
    """Per-record steps after the guard: history rows, association columns."""
    if name == "deals":
        return [unpack_history, tag_associations]
    if name in ENGAGEMENTS:
        return [lift_deal_association]
    if name == "feedback_submissions":
        return [lift_feedback_links]
    return []


def children_of(name: str) -> list[ChildTable]:
    """The child tables of an object type: its associations and, for deals, history."""
    return child_tables(name, ASSOCIATIONS.get(name, []), name == "deals")


def listing_shape(name: str, custom: list[str] | None = None, archived: bool = False) -> Shape:
    """What the connector's listing of an object type asks for (json_answers.Shape)."""
    if archived:
        return Shape(tuple(OBJECT_PROPERTIES[name]), archived=True)
    return Shape(
        tuple(_requested(name, custom)),
        associations=tuple(ASSOCIATIONS.get(name, [])),
        history=tuple(DEAL_HISTORY_PROPERTIES) if name == "deals" else (),
    )


def object_resource(
    name: str,
    pages: Callable[[], Iterable[list[dict[str, Any]] | Answer]],
    archived: bool = False,
    first_load: ServedIds | None = None,
    shape: Shape | None = None,
    crm_clock: datetime | None = None,
) -> DltResource:
    """The records of one CRM object type as a dlt resource: `pages()` gives the answers'
    records page by page (or the answers' bodies, parsed as `shape`); each page is landed
    as Arrow tables (PageLander). `archived`: the archived listing, merged into the same
    table. `first_load`: the table has no row yet (new_tables), so its rows are appended,
    not merged through a staging copy; the ids both listings of the object type served so
    far (each id lands once). `crm_clock`: keep the incremental cursor (the newest
    updatedAt landed, up to the CRM's clock) in the resource state."""

    @dlt.resource(
        name=f"{name}_archived" if archived else name,
        table_name=name,
        primary_key="id",
        write_disposition="merge" if first_load is None else "append",
        parallelized=True,
    )
    def records():
        land = PageLander(
            name,
            enrich=not archived,
            first_load=first_load,
            shape=shape or listing_shape(name, archived=archived),
            crm_clock=crm_clock,
        )
        for page in pages():
            yield from land(page)
        yield from land.flush()

    return records()


def _incremental_pages(
    name: str,
    client: RESTClient,
    crm_clock: datetime,
    custom: list[str] | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Callable[[], Iterator[list[dict[str, Any]] | Answer]]:
    """First run: the whole listing (its answers' bodies). Later runs: records modified
    from the newest updatedAt loaded before (the cursor, kept in dlt's resource state by
    the PageLander) up to the CRM clock at extraction. With a window (a partition day or a
    backfill range), from the window's start if that is earlier. Always up to the clock:
    the API serves only the current state, so a day's changes cannot be read without later
    ones (re-reading is harmless)."""
    properties = _requested(name, custom)
    history = DEAL_HISTORY_PROPERTIES if name == "deals" else None
    associations = ASSOCIATIONS.get(name, [])

    def pages() -> Iterator[list[dict[str, Any]] | Answer]:
        state = dlt.current.resource_state()
        cursor = state.get("newest_updated_at")
        if cursor is None:
            params: dict[str, Any] = {
                "properties": ",".join(properties),
                "limit": 50 if history else 100,  # HubSpot's page cap with history
            }
            if history:
                params["propertiesWithHistory"] = ",".join(history)
            if associations:
                params["associations"] = ",".join(associations)
            yield from list_pages(client, f"crm/v3/objects/{name}", params)
        else:
            since = to_datetime(cursor)
            if window is not None:
                since = min(window[0], since)
            changed = ChangedRecords(client, name, since, crm_clock)
            for ids in changed.ids():
                yield read_batch(client, name, ids, properties, history, associations)
        # Read to the end: the cursor is at least where it was (the epoch on a first
        # run). The cursor is saved only with the extraction's load package.
        state.setdefault("newest_updated_at", EPOCH)

    return pages


# Answers that did not fit the shape, tried one by one, before a lander stops parsing by
# Arrow when more answers miss the shape than fit it.
MISFITS_TRIED = 20


class PageLander:
    """Pages of records of one object type as the Arrow tables dlt loads.

    Answers' bodies (json_answers.Answer) are parsed by Arrow a batch at a time
    (BUILD_BYTES) and land without a Python object per record, when they fit the listing's
    shape and no id needs the guard. Otherwise, and for pages of dicts (changed records
    read by id), each record is guarded (RecordGuard; an exact copy of a record already
    served is dropped), enriched (history rows, association columns; not for archived
    listings, which carry neither), then its table and child tables are built
    (ingestion/hubspot/arrow_pages.py) for BUILD_RECORDS records at a time (half the cost
    of building them page by page; more records alive at once cost as much again in
    Python's garbage collector). Tables are handed to dlt BATCH_RECORDS at a time (dlt
    works out a table's schema again for every Arrow item, ~2 ms). One lander per resource
    and extraction; `flush()` hands over the rest."""

    BUILD_RECORDS = 2_000
    BUILD_BYTES = 8 << 20  # ~8,000 to 16,000 records of a listing
    BATCH_RECORDS = 20_000

    def __init__(
        self,
        name: str,
        enrich: bool = True,
        first_load: ServedIds | None = None,
        shape: Shape | None = None,
        crm_clock: datetime | None = None,
    ):
        self.name = name
        # An archived listing carries no history nor associations: it leaves the child
        # tables as they are (an empty list would replace, i.e. lose, a deal's history).
        self.children = children_of(name) if enrich else []
        self.shape = shape or listing_shape(name, archived=not enrich)
        self.digests = Digests()
        self.guard = RecordGuard(self.shape, self.digests)
        self.steps = _enrichment(name) if enrich else []
        self.lifts = LIFTED_ASSOCIATIONS.get(name, {}) if enrich else {}
        self.first_load = first_load
        self.crm_clock = crm_clock
        self.hints = {
            child.name: child_hints(child, first_load is not None) for child in self.children
        }
        self.kept: list[dict[str, Any]] = []  # guarded records, not built yet
        self.answers: list[bytes] = []  # answers' bodies, not parsed yet
        self.answer_bytes = 0
        self.parsed = self.unparsed = 0  # answers landed through Arrow, and not
        self.batch: dict[ChildTable | None, list[pa.Table]] = {}
        self.batched = 0

    def __call__(self, page: list[dict[str, Any]] | Answer) -> Iterator[Any]:
        with CPU_BOUND:
            if isinstance(page, Answer):
                self.answers.append(page.body)
                self.answer_bytes += len(page.body)
                if self.answer_bytes >= self.BUILD_BYTES:
                    self.build_answers()
            else:
                self.build_answers()  # records land in the order they were served
                self.add(page)
                if len(self.kept) >= self.BUILD_RECORDS:
                    self.build()
        if self.batched >= self.BATCH_RECORDS:
            yield from self.flush()

    def flush(self) -> Iterator[Any]:
        with CPU_BOUND:
            self.build_answers()
            self.build()
            batch, self.batch, self.batched = self.batch, {}, 0
            tables = {c: pa.concat_tables(t, promote_options="default") for c, t in batch.items()}
        for child, table in tables.items():
            if child is None:
                yield table
            elif table.num_rows:  # a first load's archived records have no child rows
                yield dlt.mark.with_hints(table, self.hints[child.name], create_table_variant=True)

    def add(self, page: list[dict[str, Any]]) -> None:
        if self.crm_clock is not None and page:
            self._advance_cursor(max(_cursor_value(r, self.crm_clock) for r in page))
        kept = []
        for record in page:
            record = self.guard.keep(record)
            if record is None:
                continue
            for step in self.steps:
                record = step(record)
            kept.append(record)
        if self.first_load is not None:
            kept = self.first_load.first_copies(kept)
        self.kept += kept

    def build(self) -> None:
        kept, self.kept = self.kept, []
        load_id = dlt.current.load_package_state()["load_id"]
        properties = OBJECT_PROPERTIES[self.name]
        tombstones = self.first_load is None
        for child, table in page_tables(kept, self.children, properties, load_id, tombstones):
            self.batch.setdefault(child, []).append(table)
        self.batched += len(kept)

    def build_answers(self) -> None:
        """The pending answers, parsed by Arrow (while most answers fit the shape: when
        they do not, halving every batch would parse each answer several times)."""
        bodies, self.answers, self.answer_bytes = self.answers, [], 0
        if not bodies:
            return
        if self.unparsed > max(MISFITS_TRIED, self.parsed):
            for body in bodies:
                self.add(Answer(body).records())
        else:
            self._land_answers(bodies)
        if len(self.kept) >= self.BUILD_RECORDS:
            self.build()

    def _land_answers(self, bodies: list[bytes]) -> None:
        """Answers parsed by Arrow when they fit the shape and no id needs the guard; else
        halved until the answers that do not are found, which take the Python path."""
        records = parse(bodies, self.shape)
        ids = None if records is None else records.field("id")
        keys = None if ids is None else numeric_keys(ids)
        if (
            keys is None
            or not self.guard.all_fresh(ids, keys)
            or (self.first_load is not None and not self.first_load.all_new(ids, keys))
        ):
            if len(bodies) > 1:
                half = len(bodies) // 2
                self._land_answers(bodies[:half])
                self._land_answers(bodies[half:])
            else:
                self.add(Answer(bodies[0]).records())
                self.unparsed += 1
            return
        self.parsed += len(bodies)
        self.guard.register(keys, records)
        load_id = dlt.current.load_package_state()["load_id"]
        tables = answer_tables(
            records, self.shape, self.children, self.lifts, load_id, self.first_load is None
        )
        for child, table in tables:
            self.batch.setdefault(child, []).append(table)
        self.batched += len(records)
        if self.crm_clock is not None and len(records):
            self._advance_cursor(_newest(tables[0][1].column("updated_at"), self.crm_clock))

    def _advance_cursor(self, newest: str) -> None:
        state = dlt.current.resource_state()
        state["newest_updated_at"] = max(state.get("newest_updated_at") or EPOCH, newest)


def _newest(updated_at: pa.ChunkedArray, crm_clock: datetime) -> str:
    """The newest updatedAt up to the CRM's clock, as _cursor_value writes it."""
    clock = pa.scalar(crm_clock.astimezone(UTC), TIMESTAMP)
    at = pc.max(updated_at.filter(pc.less_equal(updated_at, clock))).as_py()
    if at is None:
        return EPOCH
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _cursor_value(record: dict[str, Any], crm_clock: datetime) -> str:
    """A record's updatedAt as a cursor candidate; a malformed or future value (a bad
    record) must not move the cursor past changes not read yet."""
    try:
        at = to_datetime(record["updatedAt"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError, AttributeError):
        return EPOCH
    if at > crm_clock:
        return EPOCH
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


# Deleted records: HubSpot lists them only under archived=true. They are merged into the
# same table with archived = true, and the models leave them out.
ARCHIVABLE = ("companies", "contacts", "deals", *ENGAGEMENTS)
CHILD_TABLE_NAMES = {child.name for name in INCREMENTAL for child in children_of(name)}


def _archived_pages(name: str, client: RESTClient) -> Callable[[], Iterator[Answer]]:
    """The object's archived records, listed whole every night. Loading them also
    removes their child rows (history, associations), as loading any record again does."""
    params = {"archived": "true", "properties": ",".join(OBJECT_PROPERTIES[name]), "limit": 100}
    return lambda: list_pages(client, f"crm/v3/objects/{name}", params)


def hubspot_source(
    base_url: str,
    token: str,
    crm_clock: datetime | None = None,
    max_requests_per_10s: int = 100,
    request_timeout: float = 30.0,
    custom_properties: dict[str, list[str]] | None = None,
    window: tuple[datetime, datetime] | None = None,
    session: requests.Session | None = None,
    first_load: set[str] | frozenset[str] = frozenset(),
) -> DltSource:
    """All HubSpot resources, plus `extractions`: one row per run with the CRM's clock at
    extraction (its Date header), which freshness is measured against. Pass the `session`
    the preflight and property discovery used, so one limiter counts every request;
    `first_load`: the object tables without a row yet (new_tables)."""
    crm_clock = crm_clock or datetime.now(UTC)
    custom_properties = custom_properties or {}
    session = session or crm_session(max_requests_per_10s, request_timeout)
    client = RESTClient(
        base_url=base_url.rstrip("/") + "/",
        auth=BearerTokenAuth(token),
        session=session,
        paginator=JSONResponseCursorPaginator(
            cursor_path="paging.next.after", cursor_param="after"
        ),
        data_selector="results",
    )
    config: RESTAPIConfig = {
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": {"type": "bearer", "token": token},
            "session": session,
            "paginator": {
                "type": "cursor",
                "cursor_path": "paging.next.after",
                "cursor_param": "after",
            },
        },
        "resource_defaults": {
            "parallelized": True,  # resources extract side by side, sharing the limiter
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {"data_selector": "results", "params": {"limit": 100}},
        },
        "resources": [
            {
                "name": "owners",
                "endpoint": {"path": "crm/v3/owners", "params": {"limit": 500}},
                "processing_steps": [{"map": lift_primary_team}],
            },
            {
                "name": "deal_pipelines",
                "endpoint": {"path": "crm/v3/pipelines/deals", "paginator": "single_page"},
                "processing_steps": [{"map": tag_stages}],
            },
        ],
    }
    source = rest_api_source(config, name="hubspot")
    served = {name: ServedIds() for name in first_load}
    source.resources.add(
        *(
            object_resource(
                name,
                _incremental_pages(name, client, crm_clock, custom_properties.get(name), window),
                first_load=served.get(name),
                shape=listing_shape(name, custom_properties.get(name)),
                crm_clock=crm_clock,
            )
            for name in INCREMENTAL
        ),
        *(
            object_resource(
                name, _archived_pages(name, client), archived=True, first_load=served.get(name)
            )
            for name in ARCHIVABLE
        ),
        _extractions(base_url, crm_clock),
    )
    return source


MAX_CUSTOM_PROPERTIES = 200  # keeps the request URL within HubSpot's limits


def discover_custom_properties(
    base_url: str, token: str, session: requests.Session | None = None
) -> dict[str, list[str]]:
    """The account's own (not HubSpot-defined) properties per object type: they are
    requested too and land as new `properties__<name>` columns. A list that cannot be read
    fails: extracting without it would merge the records with those columns empty."""
    session = session or crm_session(100)
    found: dict[str, list[str]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    for object_type in OBJECT_PROPERTIES:
        try:
            resp = session.get(f"{base_url}/crm/v3/properties/{object_type}", headers=headers)
        except requests.RequestException as exc:
            raise transport_failure(base_url, exc) from None
        if is_daily_limit(resp):
            raise CrmUnavailable(DAILY_LIMIT_USED_UP)
        if resp.status_code >= 500 or resp.status_code == 429:
            raise CrmUnreachable(
                f"the CRM at {base_url} answered HTTP {resp.status_code} to the {object_type} "
                "property list after retries: the run stops rather than load records without "
                "their custom properties, and retries by itself"
            )
        if resp.status_code != 200:
            raise CrmUnavailable(
                f"the CRM at {base_url} answered HTTP {resp.status_code} to the {object_type} "
                "property list: give the private app of CRM_ACCESS_TOKEN read access to "
                f"{object_type} and their properties"
            )
        results = json_of(resp, base_url).get("results") or []
        names = [p["name"] for p in results if not p.get("hubspotDefined")]
        found[object_type] = sorted(names)[:MAX_CUSTOM_PROPERTIES]
    return found


def _extractions(base_url: str, crm_clock: datetime):
    @dlt.resource(name="extractions", write_disposition="append")
    def extractions():
        yield {"crm_clock_at": crm_clock, "crm_host": urlsplit(base_url).netloc}

    return extractions()


def hubspot_pipeline(
    warehouse_path: str,
    pipelines_dir: str,
    pipeline_name: str = "hubspot",
    dataset_name: str = "raw_hubspot",
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
    lake_path: str | None = None,
) -> dlt.Pipeline:
    """The dlt pipeline of one HubSpot connection (ingestion/connections.py): its state in
    pipelines_dir/<pipeline_name>, its raw tables in the warehouse schema dataset_name (or
    the lake's folder of that name, lake_path)."""
    pipeline = crm_pipeline(
        warehouse_path, pipelines_dir, pipeline_name, dataset_name, memory_limit, lake_path
    )
    unnest_child_tables(pipeline, CHILD_TABLE_NAMES)
    return pipeline
