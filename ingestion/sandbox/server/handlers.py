"""The endpoints: owners, pipelines, properties, objects (list, read, batch read, search),
v4 associations, and the sandbox's own health and clock."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from ingestion.sandbox.generator import PIPELINE_ID, STAGES, Organisation, iso
from ingestion.sandbox.hubspot_records import FORECAST_CATEGORIES
from ingestion.sandbox.server.errors import BadRequest, hubspot_error, json_response
from ingestion.sandbox.server.params import (
    bool_param,
    csv_param,
    input_ids,
    int_field,
    int_param,
    json_object,
    names_field,
    search_query,
)
from ingestion.sandbox.server.serialize import SINGULAR, serialize
from ingestion.sandbox.server.store import Store

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
MAX_PAGE = 100
MAX_PAGE_WITH_HISTORY = 50
MAX_SEARCH_PAGE = 200
SEARCH_RESULT_CAP = 10_000
# Properties whose values come from a list (type enumeration), as (label, value).
ENUMERATIONS = {"hs_manual_forecast_category": list(FORECAST_CATEGORIES.values())}
NUMBER_PROPERTIES = {"amount", "amount_in_home_currency", "hs_target_amount", "hs_call_duration"}


def _is_datetime_property(name: str) -> bool:
    return "date" in name or "timestamp" in name


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
        self.org: Organisation | None = org
        self.stores = {t: Store(org.objects[t]) for t in OBJECT_TYPES}
        self.clock_at = org.now

    def release(self) -> None:
        """Drop the organisation before the next one is generated, so that the two never
        share the memory (the large organisation holds ~3 GiB); CRM requests meanwhile
        get 503 and are retried, as after any HubSpot outage."""
        self.org = None
        self.stores = {}
        gc.collect()

    def moving(self) -> Response:
        return hubspot_error(
            503, "The CRM sandbox is moving its clock: retry in a minute", "SERVICE_UNAVAILABLE"
        )

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

    # ---------------------------------------------------------------- endpoints
    async def health(self, request: Request) -> Response:
        if self.org is None:
            return json_response({"status": "moving its clock"}, 503)
        return json_response(
            {"status": "ok", "preset": self.org.preset_name, "seed": self.org.seed}
        )

    async def clock(self, request: Request) -> Response:
        """GET: the CRM clock. POST {"advance_days": n}: the same organisation n days
        later (generated in a worker thread after the current one is released: other
        requests get 503 until it is ready)."""
        if request.method == "POST":
            days = (await json_object(request)).get("advance_days", 1)
            if isinstance(days, bool) or not isinstance(days, int | float):
                raise BadRequest('the body must be {"advance_days": <number>}')
            if self.org_at is None:
                raise BadRequest("this sandbox cannot move its clock")
            current = self.org.days_later
            self.release()
            try:
                org = await asyncio.to_thread(self.org_at, current + days)
            except ValueError as exc:
                self.use(await asyncio.to_thread(self.org_at, current))
                raise BadRequest(str(exc)) from None
            self.use(org)
        return json_response({"now": iso(self.org.now), "days_later": self.org.days_later})

    async def owners(self, request: Request) -> Response:
        limit = min(int_param(request, "limit", 100, minimum=1), 500)
        after = int_param(request, "after", 0, minimum=0)
        reps = [] if bool_param(request, "archived") else self.org.reps
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
        return json_response(body)

    async def pipelines(self, request: Request) -> Response:
        if request.path_params["object_type"] != "deals":
            return json_response({"results": []})
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
        return json_response({"results": [pipeline]})

    async def properties(self, request: Request, object_type: str, store: Store) -> Response:
        results = []
        custom = self.org.custom_properties.get(object_type, set())
        for i, name in enumerate(store.property_names):
            options = ENUMERATIONS.get(name, [])
            if options:
                ptype, field = "enumeration", "select"
            elif _is_datetime_property(name):
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
                    "options": [
                        {"label": label, "value": value, "displayOrder": n, "hidden": False}
                        for n, (label, value) in enumerate(options)
                    ],
                    "displayOrder": i,
                    "calculated": name == "amount_in_home_currency",
                    "externalOptions": False,
                    "hasUniqueValue": name == "hs_object_id",
                    "hidden": False,
                    "hubspotDefined": name not in custom,
                    "formField": False,
                }
            )
        return json_response({"results": results})

    async def list_objects(self, request: Request, object_type: str, store: Store) -> Response:
        with_history = csv_param(request, "propertiesWithHistory")
        max_page = MAX_PAGE_WITH_HISTORY if with_history else MAX_PAGE
        limit = min(int_param(request, "limit", 10, minimum=1), max_page)
        after = int_param(request, "after", 0, minimum=0)
        archived = bool_param(request, "archived")
        properties = csv_param(request, "properties") or None
        associations = csv_param(request, "associations") or None
        page, nxt = store.page_from(after, archived, limit)
        results = [serialize(object_type, r, properties, with_history, associations) for r in page]
        body: dict = {"results": results}
        if nxt is not None:
            body["paging"] = {
                "next": {"after": nxt, "link": f"{request.url.path}?after={nxt}&limit={limit}"}
            }
        return json_response(body)

    async def get_object(self, request: Request, object_type: str, store: Store) -> Response:
        records = self.org.objects[object_type]
        rec = records.peek(request.path_params["object_id"])
        while rec is not None and rec.merged_into is not None:
            rec = records.peek(rec.merged_into)  # a merged-away id answers with the survivor
        if rec is None:
            return hubspot_error(404, "Object not found", "OBJECT_NOT_FOUND")
        return json_response(
            serialize(
                object_type,
                rec,
                csv_param(request, "properties") or None,
                csv_param(request, "propertiesWithHistory"),
                csv_param(request, "associations"),
            )
        )

    async def batch_read(self, request: Request, object_type: str, store: Store) -> Response:
        body = await json_object(request)
        inputs = input_ids(body)
        properties = names_field(body, "properties") or None
        with_history = names_field(body, "propertiesWithHistory") or None
        cap = MAX_PAGE_WITH_HISTORY if with_history else MAX_PAGE
        if len(inputs) > cap:
            return hubspot_error(400, f"Batch input cannot exceed {cap} inputs", "VALIDATION_ERROR")
        started = iso(datetime.now(UTC))
        records = self.org.objects[object_type]
        archived = bool_param(request, "archived")
        found = (records.peek(i) for i in inputs)
        results = [
            serialize(object_type, rec, properties, with_history)
            for rec in found
            if rec is not None and rec.archived == archived
        ]
        return json_response(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": started,
                "completedAt": iso(datetime.now(UTC)),
            }
        )

    async def search(self, request: Request, object_type: str, store: Store) -> Response:
        body = await json_object(request)
        limit = min(int_field(body, "limit", 10, minimum=1), MAX_SEARCH_PAGE)
        after = int_field(body, "after", 0, minimum=0)
        groups, sorts = search_query(body)
        props = names_field(body, "properties") or None
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
            "results": [serialize(object_type, r, props) for r in page],
        }
        if after + limit < len(matches):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(out)

    async def associations_batch(self, request: Request) -> Response:
        """POST /crm/v4/associations/{from}/{to}/batch/read: associated ids per input."""
        from_type, to_type = request.path_params["from_type"], request.path_params["to_type"]
        if from_type not in self.stores:
            return self.unknown_type(from_type)
        inputs = input_ids(await json_object(request))
        records = self.org.objects[from_type]
        kind = f"{SINGULAR[from_type]}_to_{SINGULAR.get(to_type, to_type)}"
        results = []
        for input_id in inputs:
            rec = records.peek(input_id)
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
        return json_response({"status": "COMPLETE", "results": results})
