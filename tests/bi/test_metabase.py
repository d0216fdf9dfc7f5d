"""Metabase's setup (bi/metabase/SETUP.md): written from the dashboard's definition; every
question runs on the serving file, unfiltered and filtered as Metabase would, and gives the
same answer on the PostgreSQL publish."""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from bi.manifest import mart_columns
from bi.metabase.questions import SETUP, questions, setup_markdown
from orchestration.publish.postgres import publish_to_postgres
from tests.publish.test_publish_postgres import PG_BIN, pg  # noqa: F401 (its server fixture)


def test_setup_is_written_from_the_dashboard_definition():
    assert SETUP.read_text() == setup_markdown(mart_columns()), (
        "bi/metabase/SETUP.md is stale: run `.venv/bin/python -m bi.metabase`"
    )


def _as_metabase_runs(sql: str, values: dict[str, str]) -> str:
    """The question's SQL as Metabase sends it: an optional clause whose variable has a
    value becomes a field filter on its column; the others drop out."""

    def clause(match: re.Match) -> str:
        variable = match[2]
        return f" {match[1]} {values[variable]}" if variable in values else ""

    return re.sub(r"\s*\[\[(AND) \{\{(\w+)\}\}\]\]", clause, sql)


def _picks(con, filters: dict[str, str]) -> dict[str, str]:
    """A value for each of the question's filters, as Metabase's field filters render them."""
    team, rep = con.execute(
        "select team_name, rep_name from marts.mart_rep_performance_monthly "
        "where team_name is not null order by bookings desc limit 1"
    ).fetchone()
    value = {"team": f"= '{team}'", "rep": f"= '{rep}'", "month": ">= DATE '2026-01-01'"}
    return {v: f"{col} {value[v]}" for v, col in filters.items()}


def _comparable(rows: list[tuple]) -> list[tuple]:
    """Rows in the order of their keys (the non-numeric values), numbers as floats."""

    def plain(v):
        if isinstance(v, (float, Decimal)):
            return float(v)
        return v.isoformat() if isinstance(v, date) else v

    rows = [tuple(plain(v) for v in row) for row in rows]
    return sorted(rows, key=lambda row: repr([v for v in row if not isinstance(v, float)]))


def _same(row: tuple, want: tuple) -> bool:
    """Equal, numbers to 1e-9 (PostgreSQL's numeric division against DuckDB's double)."""
    return len(row) == len(want) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) if isinstance(b, float) else a == b
        for a, b in zip(row, want, strict=True)
    )


def test_every_question_runs_on_the_serving_file(nightly_runs, crm_env):
    con = duckdb.connect(crm_env["SERVING_PATH"], read_only=True)
    try:
        for q in questions(mart_columns()):
            rows = con.execute(_as_metabase_runs(q.sql, {})).fetchall()
            assert rows and rows[0][0] is not None, q.name
            filtered = con.execute(_as_metabase_runs(q.sql, _picks(con, q.filters))).fetchall()
            assert filtered and len(filtered) <= len(rows), q.name

        # Same numbers as the mart: quota attainment by team and month.
        by_team = next(q for q in questions(mart_columns()) if q.name == "Quota attainment by team")
        asked = {
            (m, t): v for m, t, v in con.execute(_as_metabase_runs(by_team.sql, {})).fetchall()
        }
        mart = {
            (m, t): v
            for m, t, v in con.execute(
                "select month_start, team_name, quota_attainment "
                "from marts.mart_team_performance_monthly"
            ).fetchall()
        }
        assert asked.keys() == mart.keys()
        assert all(
            (asked[k] is None and mart[k] is None) or asked[k] == pytest.approx(mart[k], abs=1e-9)
            for k in mart
        )
    finally:
        con.close()


@pytest.mark.skipif(
    PG_BIN is None,
    reason="no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql",
)
def test_every_question_gives_the_same_answer_on_the_postgres_publish(nightly_runs, crm_env, pg):  # noqa: F811
    """Metabase on the PostgreSQL publish (schema crm_marts) sees the same numbers."""
    serving = Path(crm_env["SERVING_PATH"])
    publish_to_postgres(serving, pg.dsn(), "crm_marts", None)
    con = duckdb.connect(str(serving), read_only=True)
    try:
        for q in questions(mart_columns()):
            for picks in ({}, _picks(con, q.filters)):
                sql = _as_metabase_runs(q.sql, picks)
                in_duckdb = con.execute(sql).fetchall()
                in_postgres = pg.query(sql.replace("FROM marts.", "FROM crm_marts."))
                expected = _comparable(in_duckdb)
                got = _comparable(in_postgres)
                assert len(got) == len(expected), (q.name, picks)
                for row, want in zip(got, expected, strict=True):
                    assert _same(row, want), (q.name, picks, row, want)
    finally:
        con.close()
