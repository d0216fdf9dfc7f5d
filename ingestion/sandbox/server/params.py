"""Query parameters and JSON bodies, checked: a malformed one is a BadRequest (HubSpot's
400 VALIDATION_ERROR)."""

from __future__ import annotations

import orjson
from starlette.requests import Request

from ingestion.sandbox.server.errors import BadRequest

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


def _at_least(name: str, raw: int | str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise BadRequest(f"{name} must be at least {minimum}, got {value}")
    return value


def int_param(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    return default if raw is None else _at_least(name, raw, minimum)


def bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false")
    if raw.lower() not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false, got {raw!r}")
    return raw.lower() == "true"


async def json_object(request: Request) -> dict:
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def int_field(body: dict, name: str, default: int, minimum: int) -> int:
    """An integer body field, sent as a JSON number or a numeric string (HubSpot's `after`)."""
    raw = body.get(name)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise BadRequest(f"{name} must be an integer, got {orjson.dumps(raw).decode()}")
    return _at_least(name, raw, minimum)


def names_field(body: dict, name: str) -> list[str] | None:
    """A list of property names in a body (None or [] when not given)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{name} must be a list of property names")
    return value


def input_ids(body: dict) -> list[str]:
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


def search_query(body: dict) -> tuple[list[dict], list]:
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


def csv_param(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values
