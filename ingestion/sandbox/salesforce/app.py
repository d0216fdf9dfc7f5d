"""The HTTP API, as Salesforce's REST API documentation has it: the OAuth 2.0 client
credentials flow at /services/oauth2/token, the versions list, and under
/services/data/vNN.N/ the query and queryAll resources (cursor paging through
nextRecordsUrl, batches of up to 2,000), limits, sobjects and describe. Error bodies are
Salesforce's JSON arrays ([{"message", "errorCode"}]); every authenticated answer carries
`Sforce-Limit-Info: api-usage=<used>/<max>`, and a call past the daily allocation is
refused with 403 REQUEST_LIMIT_EXCEEDED."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ingestion.sandbox.faults import FaultConfig, FaultInjector
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.salesforce.bad_records import Kind, inject
from ingestion.sandbox.salesforce.objects import (
    FIELDS,
    HISTORY_OBJECTS,
    KEY_PREFIXES,
    LABELS,
    add_custom_fields,
    delete_records,
    merge_records,
    render,
    single_currency,
)
from ingestion.sandbox.salesforce.soql import Query, SoqlError, parse
from ingestion.sandbox.server.app import CrmClock

MEDIA_TYPE = "application/json;charset=UTF-8"
VERSIONS = [
    (f"{n}.0", label)
    for n, label in ((59, "Winter '24"), (60, "Spring '24"), (61, "Summer '24"), (62, "Winter '25"))
]
OLDEST_VERSION = 20.0
NEWEST_VERSION = float(VERSIONS[-1][0])
DEFAULT_BATCH, MIN_BATCH = 2000, 200
MAX_OPEN_CURSORS = 50  # Salesforce also limits a user's open query cursors
DAILY_API_REQUESTS = 15_000
ORG_ID = "00D5g000004CRMSAND"
INTEGRATION_USER = "0055g00000INTEGRAA"


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{value.microsecond // 1000:03d}+0000"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def json_response(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps(payload, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME),
        status,
        headers,
        media_type=MEDIA_TYPE,
    )


def sf_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return json_response([{"message": message, "errorCode": code}], status, headers)


@dataclass
class Cursor:
    query: Query
    rows: list[dict]
    batch: int


@dataclass
class Options:
    """What the sandbox changes in the organisation it serves."""

    seed: int = 42
    delete_share: float = 0.0  # records deleted by users (IsDeleted, queryAll only)
    merge_share: float = 0.0  # accounts and leads merged into another (MasterRecordId)
    custom_fields: bool = False  # the org's own fields on Opportunity (Sales_Region__c, ...)
    field_history_months: int = 18  # field history (HISTORY_OBJECTS) older than this is gone
    daily_limit: int = DAILY_API_REQUESTS
    bad_records: tuple[Kind, ...] = ()  # bad_records.py: served besides the clean records
    single_currency: bool = False  # no multiple currencies: amounts in the corporate one
    feedback_management: bool = True  # the Survey* objects (CSAT, NPS)


class SalesforceSandbox:
    def __init__(
        self,
        org: Organisation,
        client_id: str,
        client_secret: str,
        options: Options | None = None,
        org_at: Callable[[float], Organisation] | None = None,
    ):
        self.options = options or Options()
        self.client_id, self.client_secret = client_id, client_secret
        self.daily_limit = self.options.daily_limit
        self.org_at = org_at
        self.used = 0
        self.tokens: set[str] = set()
        self.cursors: OrderedDict[str, Cursor] = OrderedDict()
        self.opened = 0  # cursors opened so far: each locator is new
        self.use(org)

    def use(self, org: Organisation) -> None:
        rows = render(org)
        self.objects = dict(FIELDS)
        if self.options.custom_fields:
            add_custom_fields(self.objects, rows, self.options.seed)
        if self.options.delete_share:
            delete_records(rows, self.options.seed, self.options.delete_share, org.now)
        if self.options.merge_share:
            merge_records(rows, self.options.seed, self.options.merge_share, org.now)
        if self.options.single_currency:
            single_currency(org, self.objects, rows)
        if not self.options.feedback_management:
            for name in [n for n in self.objects if n.startswith("Survey")]:
                del self.objects[name]
        if self.options.bad_records:
            inject(rows, list(self.options.bad_records), self.options.seed)
        kept = org.now - timedelta(days=30.44 * self.options.field_history_months)
        for name in HISTORY_OBJECTS:
            rows[name] = [r for r in rows[name] if r["CreatedDate"] >= kept]
        self.org, self.rows = org, rows
        self.cursors.clear()  # a moved clock ends every open query, as a new day's org would

    async def clock(self, request: Request) -> Response:
        """GET: the org's clock. POST {"advance_days": n}: the organisation n days later."""
        if not self._authorized(request):
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if request.method == "POST":
            try:
                days = orjson.loads(await request.body()).get("advance_days", 1)
            except (orjson.JSONDecodeError, AttributeError):
                days = None
            if isinstance(days, bool) or not isinstance(days, int | float) or self.org_at is None:
                return sf_error(400, "INVALID_INPUT", 'the body must be {"advance_days": <number>}')
            self.use(await asyncio.to_thread(self.org_at, self.org.days_later + days))
        return json_response({"now": self.org.now, "days_later": self.org.days_later})

    def _authorized(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    # ------------------------------------------------------------------- OAuth
    async def token(self, request: Request) -> Response:
        form = {
            k: v[-1] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()
        }
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return _oauth_error("invalid_client", "invalid client credentials")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        if client_id != self.client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if not hmac.compare_digest(str(client_secret or "").encode(), self.client_secret.encode()):
            return _oauth_error("invalid_client", "invalid client credentials")
        token = f"{ORG_ID}!{secrets.token_urlsafe(48)}"
        self.tokens.add(token)
        instance = f"{request.url.scheme}://{request.url.netloc}"
        issued = str(int(datetime.now(UTC).timestamp() * 1000))
        signature = hmac.new(
            self.client_secret.encode(), f"{instance}{issued}".encode(), hashlib.sha256
        ).digest()
        return json_response(
            {
                "access_token": token,
                "signature": base64.b64encode(signature).decode(),
                "scope": "api",
                "instance_url": instance,
                "id": f"{instance}/id/{ORG_ID}/{INTEGRATION_USER}",
                "token_type": "Bearer",
                "issued_at": issued,
            },
            headers={"Cache-Control": "no-store"},
        )

    # -------------------------------------------------------------- resources
    async def versions(self, request: Request) -> Response:
        return json_response(
            [{"label": label, "url": f"/services/data/v{v}", "version": v} for v, label in VERSIONS]
        )

    async def resources(self, request: Request, version: str) -> Response:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "limits")
        return self._answer({name: f"{base}/{name}" for name in names})

    async def limits(self, request: Request, version: str) -> Response:
        remaining = max(0, self.daily_limit - self.used)
        return self._answer({"DailyApiRequests": {"Max": self.daily_limit, "Remaining": remaining}})

    async def describe_global(self, request: Request, version: str) -> Response:
        return self._answer(
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [_sobject(name, version) for name in self.objects],
            }
        )

    async def describe(self, request: Request, version: str) -> Response:
        name = {n.lower(): n for n in self.objects}.get(request.path_params["sobject"].lower())
        if name is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        fields = [
            {
                "name": f.name,
                "label": _words(f.name).removesuffix(" Id"),
                "type": f.type,
                "custom": f.custom,
                "nillable": f.nillable,
                "referenceTo": f.reference_to.split(",") if f.reference_to else [],
                "relationshipName": f.name.removesuffix("Id") if f.reference_to else None,
                "filterable": True,
                "sortable": True,
                "calculated": False,
                "picklistValues": [],
            }
            for f in self.objects[name]
        ]
        return self._answer({**_sobject(name, version), "fields": fields})

    # ------------------------------------------------------------------ query
    async def query(self, request: Request, version: str, include_deleted: bool) -> Response:
        try:
            query = parse(request.query_params.get("q", ""), self.objects)
        except SoqlError as exc:
            return self._error(400, exc.code, exc.message)
        rows = self.rows[query.object_name]
        if not include_deleted and any(
            f.name == "IsDeleted" for f in self.objects[query.object_name]
        ):
            rows = [r for r in rows if not r["IsDeleted"]]
        found = query.run(rows)
        if query.count_only:
            return self._answer({"totalSize": len(found), "done": True, "records": []})
        cursor = Cursor(query, found, _batch_size(request))
        return self._page(cursor, version, 0)

    async def more(self, request: Request, version: str) -> Response:
        locator, _, offset = request.path_params["locator"].partition("-")
        cursor = self.cursors.get(locator)
        if cursor is None or not offset.isdigit() or int(offset) > len(cursor.rows):
            return self._error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(cursor, version, int(offset), locator)

    def _page(self, cursor: Cursor, version: str, offset: int, locator: str = "") -> Response:
        end = offset + cursor.batch
        obj, fields = cursor.query.object_name, cursor.query.fields
        records = [
            {
                "attributes": {
                    "type": obj,
                    "url": f"/services/data/v{version}/sobjects/{obj}/{row['Id']}",
                },
                **{name: row[name] for name in fields},
            }
            for row in cursor.rows[offset:end]
        ]
        body: dict = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
        if end < len(cursor.rows):
            if not locator:
                self.opened += 1
                locator = f"{KEY_PREFIXES['QueryLocator']}5g{self.opened:010d}AAA"
                self.cursors[locator] = cursor
                if len(self.cursors) > MAX_OPEN_CURSORS:  # the oldest is closed, as in an org
                    self.cursors.popitem(last=False)
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        body["records"] = records
        return self._answer(body)

    # ------------------------------------------------------------------ plumbing
    def _usage(self) -> dict:
        return {"Sforce-Limit-Info": f"api-usage={self.used}/{self.daily_limit}"}

    def _answer(self, payload: object) -> Response:
        return json_response(payload, headers=self._usage())

    def _error(self, status: int, code: str, message: str) -> Response:
        return sf_error(status, code, message, self._usage())

    def api(self, handler, **extra):
        """An authenticated REST resource under /services/data/vNN.N/."""

        async def endpoint(request: Request) -> Response:
            if not self._authorized(request):
                return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            version = request.path_params["version"]
            if not re.fullmatch(r"\d+\.\d", version) or not (
                OLDEST_VERSION <= float(version) <= NEWEST_VERSION
            ):
                return self._error(404, "NOT_FOUND", "The requested resource does not exist")
            self.used += 1
            if self.used > self.daily_limit:
                self.used = self.daily_limit
                return self._error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            return await handler(request, version, **extra)

        return endpoint


def _batch_size(request: Request) -> int:
    options = request.headers.get("sforce-query-options", "")
    m = re.search(r"batchSize\s*=\s*(\d+)", options)
    if m is None:
        return DEFAULT_BATCH
    return min(DEFAULT_BATCH, max(MIN_BATCH, int(m.group(1))))


def _words(name: str) -> str:
    """An API name as a label: OpportunityStage -> Opportunity Stage."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def _sobject(name: str, version: str) -> dict:
    base = f"/services/data/v{version}/sobjects/{name}"
    return {
        "name": name,
        "label": _words(name),
        "labelPlural": LABELS.get(name, _words(name) + "s"),
        "keyPrefix": KEY_PREFIXES[name],
        "custom": False,
        "queryable": True,
        "retrieveable": True,
        "replicateable": True,
        "urls": {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        },
    }


def _oauth_error(error: str, description: str) -> Response:
    body = {"error": error, "error_description": description}
    return json_response(body, 400, {"Cache-Control": "no-store"})


# Salesforce's answer when an instance is down for a moment.
UNAVAILABLE = orjson.dumps(
    [{"message": "Service temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
)


def create_app(
    org: Organisation,
    client_id: str,
    client_secret: str,
    options: Options | None = None,
    org_at: Callable[[float], Organisation] | None = None,
    faults: FaultConfig | None = None,
):
    """org_at(days_later) builds the organisation at a later clock (POST /_sandbox/clock,
    with a bearer token from /services/oauth2/token)."""
    sb = SalesforceSandbox(org, client_id, client_secret, options, org_at)

    async def health(request: Request) -> Response:
        return json_response({"status": "ok"})

    data = "/services/data/v{version}"
    routes = [
        Route("/_sandbox/health", health),
        Route("/_sandbox/clock", sb.clock, methods=["GET", "POST"]),
    ]
    routes.append(Route("/services/oauth2/token", sb.token, methods=["POST"]))
    for path, handler in (
        ("/services/data", sb.versions),
        (data, sb.api(sb.resources)),
        (f"{data}/limits", sb.api(sb.limits)),
        (f"{data}/sobjects", sb.api(sb.describe_global)),
        (f"{data}/sobjects/{{sobject}}/describe", sb.api(sb.describe)),
        (f"{data}/query", sb.api(sb.query, include_deleted=False)),
        (f"{data}/queryAll", sb.api(sb.query, include_deleted=True)),
        (f"{data}/query/{{locator}}", sb.api(sb.more)),
        (f"{data}/queryAll/{{locator}}", sb.api(sb.more)),
    ):
        # Both clients' spellings: simple-salesforce adds a slash (query/?q=), jsforce not.
        routes += [Route(path, handler), Route(path + "/", handler)]
    injected: list[FaultInjector] = []

    async def fault_stats(request: Request) -> Response:
        """What the fault injector did so far (GET /_sandbox/faults, with a bearer token)."""
        if not sb._authorized(request):
            return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return json_response(injected[0].stats if injected else {})

    routes.append(Route("/_sandbox/faults", fault_stats))
    app = Starlette(routes=routes)
    if faults is not None:  # 5xx, slow answers, dropped connections, outages on the REST API
        app = FaultInjector(app, faults, prefix="/services/data/v", unavailable=UNAVAILABLE)
        injected.append(app)
    return CrmClock(app, lambda: sb.org.now)
