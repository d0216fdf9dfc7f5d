"""The ASGI application: routes, the bearer token, fault injection and the CRM clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ingestion.sandbox.faults import FaultConfig, FaultInjector
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.server.errors import BadRequest, hubspot_error, json_response
from ingestion.sandbox.server.handlers import SEARCH_RESULT_CAP, Sandbox


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
            if sb.org is None:
                return sb.moving()
            try:
                return await handler(request)
            except BadRequest as exc:
                return hubspot_error(400, str(exc), "VALIDATION_ERROR")

        return endpoint

    async def fault_stats(request: Request) -> Response:
        """What the fault injector did so far (GET /_sandbox/faults)."""
        return json_response(injector.stats if injector else {})

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
    return CrmClock(app, lambda: sb.clock_at)


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
