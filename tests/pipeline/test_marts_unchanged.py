"""Nothing a user sees changes by accident: every core and mart table of a nightly run on
the sandbox (preset small, seed 42) has the columns, types, row count and values recorded in
`marts_fingerprint.json`. A refactor (the CRM seam, splitting models) must keep them; a
change meant to alter them rewrites the file:

    UPDATE_MART_FINGERPRINTS=1 .venv/bin/python -m pytest tests/pipeline/test_marts_unchanged.py

and the CHANGELOG says what changed for BI users."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ..conftest import NightlyRuns

FINGERPRINTS = Path(__file__).with_name("marts_fingerprint.json")


def _value(value: object) -> object:
    # Doubles summed in parallel may differ in their last bits from run to run.
    if isinstance(value, float):
        return f"{value:.9g}"
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    return value


def fingerprints(warehouse: str) -> dict[str, dict]:
    """Per table: its columns with their types, its row count and a hash of its rows."""
    con = duckdb.connect(warehouse, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('core', 'marts') order by 1, 2"
        ).fetchall()
        found = {}
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            rows = sorted(
                json.dumps([_value(v) for v in row], default=str)
                for row in con.execute(f"select * from {relation}").fetchall()
            )
            found[f"{schema}.{table}"] = {
                "columns": [f"{name} {kind}" for name, kind in columns],
                "rows": len(rows),
                "sha256": hashlib.sha256("\n".join(rows).encode()).hexdigest(),
            }
        return found
    finally:
        con.close()


def test_core_and_marts_are_unchanged(nightly_runs: NightlyRuns):
    actual = fingerprints(nightly_runs.warehouse)
    if os.environ.get("UPDATE_MART_FINGERPRINTS"):
        FINGERPRINTS.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    expected = json.loads(FINGERPRINTS.read_text())
    assert sorted(actual) == sorted(expected), "tables added or removed"
    for table, recorded in expected.items():
        assert actual[table]["columns"] == recorded["columns"], f"{table}: columns changed"
        assert actual[table]["rows"] == recorded["rows"], f"{table}: row count changed"
        assert actual[table]["sha256"] == recorded["sha256"], f"{table}: values changed"
