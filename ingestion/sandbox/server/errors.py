"""HubSpot's JSON answers and error bodies."""

from __future__ import annotations

import uuid

import orjson
from starlette.responses import Response


def json_response(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(payload), status, headers, media_type="application/json")


def hubspot_error(status: int, message: str, category: str, **extra) -> Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return json_response(body, status)


class BadRequest(Exception):
    """A malformed parameter or body: HubSpot answers 400 VALIDATION_ERROR, never a 500."""
