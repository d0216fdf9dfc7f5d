"""ASGI server implementing the HubSpot CRM v3 contract over a generated organisation.

Paths, parameters, response shapes and error bodies follow HubSpot's public API docs, so
the connector cannot tell it from api.hubapi.com.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ingestion.sandbox.faults import FaultConfig, FaultInjector
from ingestion.sandbox.generator import (
    PIPELINE_ID,
    STAGES,
    Organisation,
    Record,
    iso,
)

OBJECT_TYPES = (
    "companies",
    "contacts",
    "deals",
    "calls",
    "emails",
    "meetings",
    "tasks",
    "goal_targets",
    "feedback_submissions",
)
SINGULAR = {
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "tasks": "task",
    "goal_targets": "goal_target",
    "feedback_submissions": "feedback_submission",
}
# What HubSpot returns when no `properties` parameter is given.
DEFAULT_PROPERTIES = {
    "companies": ["name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"],
    "contacts": [
        "firstname",
        "lastname",
        "email",
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
    ],
    "deals": [
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ],
    "goal_targets": ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
}
ENGAGEMENT_DEFAULTS = ["hs_timestamp", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"]
MAX_PAGE = 100
MAX_PAGE_WITH_HISTORY = 50
MAX_SEARCH_PAGE = 200
SEARCH_RESULT_CAP = 10_000
# Properties the search index keeps sorted (what incremental extraction filters on).
INDEXED_PROPERTIES = ("hs_lastmodifieddate", "lastmodifieddate")
SEARCHES_KEPT = 8  # queries whose results are kept for their next pages, per object type
NUMBER_PROPERTIES = {"amount", "amount_in_home_currency", "hs_target_amount", "hs_call_duration"}
SEARCH_OPERATORS = (
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
)
SCALAR = (str, int, float)  # a filter value: JSON string, number or boolean (bool is an int)


def _json(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def hubspot_error(status: int, message: str, category: str, **extra) -> Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return _json(body, status)


class BadRequest(Exception):
    """A malformed parameter or body: HubSpot answers 400 VALIDATION_ERROR, never a 500."""


def _at_least(name: str, raw: int | str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise BadRequest(f"{name} must be at least {minimum}, got {value}")
    return value


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    return default if raw is None else _at_least(name, raw, minimum)


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false")
    if raw.lower() not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false, got {raw!r}")
    return raw.lower() == "true"


async def _json_object(request: Request) -> dict:
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _int_field(body: dict, name: str, default: int, minimum: int) -> int:
    """An integer body field, sent as a JSON number or a numeric string (HubSpot's `after`)."""
    raw = body.get(name)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise BadRequest(f"{name} must be an integer, got {orjson.dumps(raw).decode()}")
    return _at_least(name, raw, minimum)


def _names_field(body: dict, name: str) -> list[str] | None:
    """A list of property names in a body (None or [] when not given)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{name} must be a list of property names")
    return value


def _input_ids(body: dict) -> list[str]:
    """The ids of a batch body's `inputs`: [{"id": "123"}, ...].

    A null id matches nothing: a connector passes on the id of a bad record the sandbox
    serves without one (bad_records.py), and its run must not fail on that request."""
    inputs = body.get("inputs")
    if inputs is None:
        return []
    if not isinstance(inputs, list):
        raise BadRequest('inputs must be a list of {"id": ...} objects')
    ids = []
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("id", []), str | int | None):
            raise BadRequest('inputs must be a list of {"id": ...} objects')
        ids.append(str(item["id"]))
    return ids


def _search_query(body: dict) -> tuple[list[dict], list]:
    """filterGroups and sorts of a search body, checked."""
    groups = body.get("filterGroups", [])
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise BadRequest('filterGroups must be a list of {"filters": [...]} objects')
    for group in groups:
        filters = group.get("filters", [])
        if not isinstance(filters, list):
            raise BadRequest("filters must be a list of filter objects")
        for f in filters:
            _check_filter(f)
    sorts = body.get("sorts", [])
    if not isinstance(sorts, list):
        raise BadRequest("sorts must be a list")
    for sort in sorts:
        if isinstance(sort, str):
            continue
        if (
            not isinstance(sort, dict)
            or not isinstance(sort.get("propertyName"), str)
            or sort.get("direction", "ASCENDING") not in ("ASCENDING", "DESCENDING")
        ):
            raise BadRequest(
                'a sort must be a property name or {"propertyName": ..., "direction": '
                '"ASCENDING" or "DESCENDING"}'
            )
    return groups, sorts


def _check_filter(f: object) -> None:
    if not isinstance(f, dict) or not isinstance(f.get("propertyName"), str):
        raise BadRequest('a filter must be an object with a "propertyName"')
    op = f.get("operator", "EQ")
    if op not in SEARCH_OPERATORS:
        raise BadRequest(
            f"unknown filter operator {op!r}: use one of {', '.join(SEARCH_OPERATORS)}"
        )
    if op in ("IN", "NOT_IN"):
        values = f.get("values")
        if not isinstance(values, list) or not all(isinstance(v, SCALAR) for v in values):
            raise BadRequest(f"operator {op} needs a list of values")
    elif op == "BETWEEN":
        if not isinstance(f.get("value"), SCALAR) or not isinstance(f.get("highValue"), SCALAR):
            raise BadRequest("operator BETWEEN needs a value and a highValue")
    elif op not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY") and not isinstance(f.get("value"), SCALAR):
        raise BadRequest(f"operator {op} needs a value")


def _csv(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values


def _is_datetime_property(name: str) -> bool:
    return "date" in name or "timestamp" in name


@functools.lru_cache(maxsize=1 << 21)  # every search re-reads the same property values
def _to_ms(value: str) -> float:
    """A filter or property value as a comparable number (epoch ms for datetimes)."""
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000


class Store:
    """Records of one object type ordered by numeric key, for cursor paging.

    The key is the record's id, except for bad records the sandbox injects on request
    (ingestion/sandbox/bad_records.py): a record without an id, or a second copy of an id,
    sits under a synthetic numeric key that orders it and is its paging cursor.
    """

    def __init__(self, records: dict[str, Record]):
        items = sorted(records.items(), key=lambda item: int(item[0]))
        self.records = [rec for _, rec in items]
        self.ids = [int(key) for key, _ in items]
        self.property_names = sorted({p for r in self.records for p in r.properties})
        self._searches: dict[bytes, list[Record]] = {}  # recent queries, oldest first
        self._indexes: dict[str, tuple[list[float], list[int], list[int]]] = {}
        for name in INDEXED_PROPERTIES:  # built up front, as a CRM's search index is
            self._index(name)

    def search(self, groups: list[dict], sorts: list) -> list[Record]:
        """Live records matching any filter group, in sort order. The result of a query is
        kept for its next pages (records do not change while a store is in use), so paging
        through a query costs one scan of the store, not one per page."""
        key = orjson.dumps([groups, sorts], option=orjson.OPT_SORT_KEYS)
        if key in self._searches:
            return self._searches[key]
        candidates = self._candidates(groups)
        matches = [
            r
            for r in candidates
            if not r.archived
            and r.merged_into is None
            and (not groups or any(_match(r, g) for g in groups))
        ]
        for sort in reversed(sorts):
            if isinstance(sort, str):
                name, desc = sort.lstrip("-"), sort.startswith("-")
            else:
                name, desc = sort["propertyName"], sort.get("direction") == "DESCENDING"
            matches.sort(key=lambda r, n=name: _sort_key(r, n), reverse=desc)
        if len(self._searches) >= SEARCHES_KEPT:
            self._searches.pop(next(iter(self._searches)))
        self._searches[key] = matches
        return matches

    def _index(self, name: str) -> tuple[list[float], list[int], list[int]]:
        """Positions of the records by their value of one property (as epoch ms), and the
        positions of records whose value is not a number or a date."""
        if name not in self._indexes:
            keyed, odd = [], []
            for i, rec in enumerate(self.records):
                value = rec.properties.get(name)
                if value is None:
                    continue
                try:
                    keyed.append((_to_ms(value), i))
                except (ValueError, TypeError):
                    odd.append(i)
            keyed.sort()
            self._indexes[name] = ([k for k, _ in keyed], [i for _, i in keyed], odd)
        return self._indexes[name]

    def _candidates(self, groups: list[dict]) -> list[Record]:
        """The records a query can match, in store order: when every filter group bounds an
        indexed property (a last-modified date) with GT/GTE/EQ/LT/LTE, only the records in
        those ranges, plus those whose value is not a date (the filters still decide)."""
        positions: set[int] = set()
        for group in groups:
            bounds = _indexed_range(group.get("filters", []))
            if bounds is None:
                return self.records
            name, lo, hi = bounds
            keys, order, odd = self._index(name)
            positions.update(order[bisect.bisect_left(keys, lo) : bisect.bisect_right(keys, hi)])
            positions.update(odd)
        return [self.records[i] for i in sorted(positions)] if groups else self.records

    def page_from(self, after: int, archived: bool, limit: int) -> tuple[list[Record], str | None]:
        """Up to limit records from the cursor on, and the cursor of the next page if any."""
        start = bisect.bisect_left(self.ids, after)
        out: list[Record] = []
        for i in range(start, len(self.records)):
            rec = self.records[i]
            if rec.archived == archived and rec.merged_into is None:
                if len(out) == limit:
                    return out, str(self.ids[i])
                out.append(rec)
        return out, None


class Sandbox:
    def __init__(
        self,
        org: Organisation,
        token: str,
        org_at: Callable[[float], Organisation] | None = None,
        search_cap: int = SEARCH_RESULT_CAP,
    ):
        self.token = token
        self.org_at = org_at
        self.search_cap = search_cap
        self.use(org)

    def use(self, org: Organisation) -> None:
        self.org = org
        self.stores = {t: Store(org.objects[t]) for t in OBJECT_TYPES}

    # ------------------------------------------------------------------ helpers
    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> Response:
        return hubspot_error(
            401,
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at https://developers.hubspot.com/docs/methods/auth/"
            "oauth-overview",
            "INVALID_AUTHENTICATION",
        )

    def unknown_type(self, object_type: str) -> Response:
        return hubspot_error(
            400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR"
        )

    def serialize(
        self,
        object_type: str,
        rec: Record,
        properties: list[str] | None,
        with_history: list[str] | None = None,
        associations: list[str] | None = None,
    ) -> dict:
        defaults = DEFAULT_PROPERTIES.get(object_type, ENGAGEMENT_DEFAULTS)
        names = properties or defaults
        props = {n: rec.properties.get(n) for n in names if n in rec.properties or properties}
        for always in ("hs_object_id", "createdate", "hs_lastmodifieddate"):
            if always in rec.properties:
                props.setdefault(always, rec.properties[always])
        out: dict = {
            "id": rec.id,
            "properties": props,
            "createdAt": iso(rec.created_at),
            "updatedAt": iso(rec.updated_at),
            "archived": rec.archived,
        }
        if with_history:
            out["propertiesWithHistory"] = {
                name: [
                    {
                        "value": value,
                        "timestamp": iso(ts),
                        "sourceType": "CRM_UI",
                        "sourceId": "userId:" + str(rec.properties.get("hubspot_owner_id", "")),
                    }
                    for value, ts in reversed(rec.history[name])
                ]
                for name in with_history
                if name in rec.history
            }
        if associations:
            assoc = {}
            for other in associations:
                ids = rec.associations.get(other)
                if ids:
                    kind = f"{SINGULAR[object_type]}_to_{SINGULAR.get(other, other)}"
                    assoc[other] = {"results": [{"id": i, "type": kind} for i in ids]}
            if assoc:
                out["associations"] = assoc
        return out

    # ---------------------------------------------------------------- endpoints
    async def health(self, request: Request) -> Response:
        return _json({"status": "ok", "preset": self.org.preset_name, "seed": self.org.seed})

    async def clock(self, request: Request) -> Response:
        """GET: the CRM clock. POST {"advance_days": n}: the same organisation n days
        later (generated in a worker thread; requests keep being served meanwhile)."""
        if request.method == "POST":
            days = (await _json_object(request)).get("advance_days", 1)
            if isinstance(days, bool) or not isinstance(days, int | float):
                raise BadRequest('the body must be {"advance_days": <number>}')
            if self.org_at is None:
                raise BadRequest("this sandbox cannot move its clock")
            try:
                org = await asyncio.to_thread(self.org_at, self.org.days_later + days)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            self.use(org)
        return _json({"now": iso(self.org.now), "days_later": self.org.days_later})

    async def owners(self, request: Request) -> Response:
        limit = min(_int_param(request, "limit", 100, minimum=1), 500)
        after = _int_param(request, "after", 0, minimum=0)
        reps = [] if _bool_param(request, "archived") else self.org.reps
        page = reps[after : after + limit]
        created = iso(self.org.start)
        results = [
            {
                "id": r.owner_id,
                "email": r.email,
                "type": "PERSON",
                "firstName": r.first_name,
                "lastName": r.last_name,
                "userId": r.user_id,
                "userIdIncludingInactive": r.user_id,
                "createdAt": created,
                "updatedAt": created,
                "archived": False,
                "teams": [{"id": r.team_id, "name": self.org.teams[r.team_id], "primary": True}],
            }
            for r in page
        ]
        body: dict = {"results": results}
        if after + limit < len(reps):
            nxt = str(after + limit)
            body["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
        return _json(body)

    async def pipelines(self, request: Request) -> Response:
        if request.path_params["object_type"] != "deals":
            return _json({"results": []})
        created = iso(self.org.start)
        stages = [
            {
                "id": sid,
                "label": label,
                "displayOrder": i,
                "metadata": {"isClosed": "true" if closed else "false", "probability": prob},
                "createdAt": created,
                "updatedAt": created,
                "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            }
            for i, (sid, label, prob, closed) in enumerate(STAGES)
        ]
        pipeline = {
            "id": PIPELINE_ID,
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": stages,
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
        }
        return _json({"results": [pipeline]})

    async def properties(self, request: Request, object_type: str, store: Store) -> Response:
        results = []
        custom = self.org.custom_properties.get(object_type, set())
        for i, name in enumerate(store.property_names):
            if _is_datetime_property(name):
                ptype, field = "datetime", "date"
            elif name in NUMBER_PROPERTIES:
                ptype, field = "number", "number"
            else:
                ptype, field = "string", "text"
            results.append(
                {
                    "name": name,
                    "label": name.replace("hs_", "").replace("_", " ").title(),
                    "type": ptype,
                    "fieldType": field,
                    "description": "",
                    "groupName": f"{SINGULAR[object_type]}information",
                    "options": [],
                    "displayOrder": i,
                    "calculated": name == "amount_in_home_currency",
                    "externalOptions": False,
                    "hasUniqueValue": name == "hs_object_id",
                    "hidden": False,
                    "hubspotDefined": name not in custom,
                    "formField": False,
                }
            )
        return _json({"results": results})

    async def list_objects(self, request: Request, object_type: str, store: Store) -> Response:
        with_history = _csv(request, "propertiesWithHistory")
        max_page = MAX_PAGE_WITH_HISTORY if with_history else MAX_PAGE
        limit = min(_int_param(request, "limit", 10, minimum=1), max_page)
        after = _int_param(request, "after", 0, minimum=0)
        archived = _bool_param(request, "archived")
        properties = _csv(request, "properties") or None
        associations = _csv(request, "associations") or None
        page, nxt = store.page_from(after, archived, limit)
        results = [
            self.serialize(object_type, r, properties, with_history, associations) for r in page
        ]
        body: dict = {"results": results}
        if nxt is not None:
            body["paging"] = {
                "next": {"after": nxt, "link": f"{request.url.path}?after={nxt}&limit={limit}"}
            }
        return _json(body)

    async def get_object(self, request: Request, object_type: str, store: Store) -> Response:
        records = self.org.objects[object_type]
        rec = records.get(request.path_params["object_id"])
        while rec is not None and rec.merged_into is not None:
            rec = records.get(rec.merged_into)  # a merged-away id answers with the survivor
        if rec is None:
            return hubspot_error(404, "Object not found", "OBJECT_NOT_FOUND")
        return _json(
            self.serialize(
                object_type,
                rec,
                _csv(request, "properties") or None,
                _csv(request, "propertiesWithHistory"),
                _csv(request, "associations"),
            )
        )

    async def batch_read(self, request: Request, object_type: str, store: Store) -> Response:
        body = await _json_object(request)
        inputs = _input_ids(body)
        properties = _names_field(body, "properties") or None
        with_history = _names_field(body, "propertiesWithHistory") or None
        cap = MAX_PAGE_WITH_HISTORY if with_history else MAX_PAGE
        if len(inputs) > cap:
            return hubspot_error(400, f"Batch input cannot exceed {cap} inputs", "VALIDATION_ERROR")
        started = iso(datetime.now(UTC))
        records = self.org.objects[object_type]
        archived = _bool_param(request, "archived")
        results = [
            self.serialize(object_type, records[i], properties, with_history)
            for i in inputs
            if i in records and records[i].archived == archived
        ]
        return _json(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": started,
                "completedAt": iso(datetime.now(UTC)),
            }
        )

    async def search(self, request: Request, object_type: str, store: Store) -> Response:
        body = await _json_object(request)
        limit = min(_int_field(body, "limit", 10, minimum=1), MAX_SEARCH_PAGE)
        after = _int_field(body, "after", 0, minimum=0)
        groups, sorts = _search_query(body)
        props = _names_field(body, "properties") or None
        if after + limit > self.search_cap:
            return hubspot_error(
                400,
                "There was a problem with the request.",
                "VALIDATION_ERROR",
                subCategory="SearchInvalidPagingError",
                context={"after": [str(after)]},
            )
        matches = store.search(groups, sorts)
        page = matches[after : after + limit]
        out: dict = {
            "total": len(matches),
            "results": [self.serialize(object_type, r, props) for r in page],
        }
        if after + limit < len(matches):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return _json(out)

    async def associations_batch(self, request: Request) -> Response:
        """POST /crm/v4/associations/{from}/{to}/batch/read: associated ids per input."""
        from_type, to_type = request.path_params["from_type"], request.path_params["to_type"]
        if from_type not in self.stores:
            return self.unknown_type(from_type)
        inputs = _input_ids(await _json_object(request))
        records = self.org.objects[from_type]
        kind = f"{SINGULAR[from_type]}_to_{SINGULAR.get(to_type, to_type)}"
        results = []
        for input_id in inputs:
            rec = records.get(input_id)
            ids = rec.associations.get(to_type) if rec else None
            if ids:
                results.append(
                    {
                        "from": {"id": rec.id},
                        "to": [
                            {
                                "toObjectId": int(i),
                                "associationTypes": [
                                    {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": kind}
                                ],
                            }
                            for i in ids
                        ],
                    }
                )
        return _json({"status": "COMPLETE", "results": results})


def _sort_key(rec: Record, name: str) -> tuple:
    """Numbers and dates first in value order, then other text, then empty values."""
    value = rec.id if name in ("hs_object_id", "id") else rec.properties.get(name)
    if value is None or value == "":
        return (2, 0.0)
    try:
        return (0, _to_ms(value))
    except (ValueError, TypeError):
        return (1, str(value))


def _indexed_range(filters: list[dict]) -> tuple[str, float, float] | None:
    """The [lo, hi] a filter group puts on the first indexed property it bounds (None: it
    bounds none, so every record is a candidate)."""
    name, lo, hi = None, float("-inf"), float("inf")
    for f in filters:
        prop, op = f.get("propertyName"), f.get("operator", "EQ")
        if prop not in INDEXED_PROPERTIES or op not in ("GT", "GTE", "EQ", "LT", "LTE"):
            continue
        if name not in (None, prop):
            continue
        try:
            bound = _to_ms(str(f.get("value")))
        except (ValueError, TypeError):
            continue
        name = prop
        if op in ("GT", "GTE", "EQ"):
            lo = max(lo, bound)
        if op in ("LT", "LTE", "EQ"):
            hi = min(hi, bound)
    return None if name is None else (name, lo, hi)


def _match(rec: Record, group: dict) -> bool:
    for f in group.get("filters", []):
        name, op = f.get("propertyName"), f.get("operator", "EQ")
        actual = rec.properties.get(name)
        if op == "HAS_PROPERTY":
            ok = actual is not None
        elif op == "NOT_HAS_PROPERTY":
            ok = actual is None
        elif actual is None:
            ok = False
        elif op in ("IN", "NOT_IN"):
            ok = (actual in [str(v) for v in f.get("values", [])]) == (op == "IN")
        elif op == "BETWEEN":
            try:
                ok = _to_ms(f["value"]) <= _to_ms(actual) <= _to_ms(f["highValue"])
            except (ValueError, TypeError):
                ok = False
        elif op in ("EQ", "NEQ") and not _numeric_like(actual):
            ok = (actual == str(f.get("value"))) == (op == "EQ")
        else:
            try:
                a, v = _to_ms(actual), _to_ms(str(f.get("value")))
            except (ValueError, TypeError):
                return False  # a value that is not a number or a date never compares
            ok = {
                "EQ": a == v,
                "NEQ": a != v,
                "GT": a > v,
                "GTE": a >= v,
                "LT": a < v,
                "LTE": a <= v,
            }.get(op, False)
        if not ok:
            return False
    return True


def _numeric_like(value: str) -> bool:
    try:
        _to_ms(value)
        return True
    except (ValueError, TypeError):
        return False


def create_app(
    org: Organisation,
    token: str,
    faults: FaultConfig | None = None,
    org_at: Callable[[float], Organisation] | None = None,
    search_cap: int = SEARCH_RESULT_CAP,
) -> Starlette:
    """org_at(days_later) builds the organisation at a later clock (POST /_sandbox/clock)."""
    sb = Sandbox(org, token, org_at, search_cap)
    injector: FaultInjector | None = None

    def authed(handler):
        async def endpoint(request: Request) -> Response:
            if not sb.authorized(request):
                return sb.unauthorized()
            try:
                return await handler(request)
            except BadRequest as exc:
                return hubspot_error(400, str(exc), "VALIDATION_ERROR")

        return endpoint

    async def fault_stats(request: Request) -> Response:
        """What the fault injector did so far (GET /_sandbox/faults)."""
        return _json(injector.stats if injector else {})

    def typed(handler):
        """Authenticated endpoint on /objects/{object_type}: resolves the record store."""

        async def endpoint(request: Request) -> Response:
            object_type = request.path_params["object_type"]
            if object_type not in sb.stores:
                return sb.unknown_type(object_type)
            return await handler(request, object_type, sb.stores[object_type])

        return authed(endpoint)

    objects = "/crm/v3/objects/{object_type}"
    routes = [
        Route("/_sandbox/health", sb.health),
        Route("/_sandbox/clock", authed(sb.clock), methods=["GET", "POST"]),
        Route("/crm/v3/owners", authed(sb.owners)),
        Route("/crm/v3/owners/", authed(sb.owners)),
        Route("/crm/v3/pipelines/{object_type}", authed(sb.pipelines)),
        Route("/crm/v3/properties/{object_type}", typed(sb.properties)),
        Route(objects, typed(sb.list_objects)),
        Route(f"{objects}/search", typed(sb.search), methods=["POST"]),
        Route(f"{objects}/batch/read", typed(sb.batch_read), methods=["POST"]),
        Route(objects + "/{object_id}", typed(sb.get_object)),
        Route(
            "/crm/v4/associations/{from_type}/{to_type}/batch/read",
            authed(sb.associations_batch),
            methods=["POST"],
        ),
    ]
    if faults is not None:
        routes.append(Route("/_sandbox/faults", authed(fault_stats)))
    app = Starlette(routes=routes)
    if faults is not None:
        app = injector = FaultInjector(app, faults)
    return CrmClock(app, lambda: sb.org.now)


class CrmClock:
    """ASGI middleware: every answer carries the sandbox clock in its Date header, as the
    real API carries real time (the pipeline measures freshness against it)."""

    def __init__(self, app, now: Callable[[], datetime]):
        self.app = app
        self.now = now

    async def __call__(self, scope, receive, send):
        date = format_datetime(self.now().astimezone(UTC), usegmt=True).encode()

        async def send_with_date(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"date"]
                message["headers"] = [*headers, (b"date", date)]
            await send(message)

        await self.app(scope, receive, send_with_date)
