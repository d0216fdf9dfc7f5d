"""How a search's filters and sorts read a record's property values."""

from __future__ import annotations

import functools
from datetime import datetime

from ingestion.sandbox.tables import Record


def parse_ms(value: str) -> float:
    """A filter or property value as a comparable number (epoch ms for datetimes)."""
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000


# Every search re-reads the same property values.
to_ms = functools.lru_cache(maxsize=1 << 21)(parse_ms)


def sort_key(rec: Record, name: str) -> tuple:
    """Numbers and dates first in value order, then other text, then empty values."""
    value = rec.id if name in ("hs_object_id", "id") else rec.properties.get(name)
    if value is None or value == "":
        return (2, 0.0)
    try:
        return (0, to_ms(value))
    except (ValueError, TypeError):
        return (1, str(value))


def match(rec: Record, group: dict) -> bool:
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
                ok = to_ms(f["value"]) <= to_ms(actual) <= to_ms(f["highValue"])
            except (ValueError, TypeError):
                ok = False
        elif op in ("EQ", "NEQ") and not _numeric_like(actual):
            ok = (actual == str(f.get("value"))) == (op == "EQ")
        else:
            try:
                a, v = to_ms(actual), to_ms(str(f.get("value")))
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
        to_ms(value)
        return True
    except (ValueError, TypeError):
        return False
