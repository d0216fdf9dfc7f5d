"""Metabase's setup (bi/metabase/SETUP.md): written from the dashboard's definition, and
every question runs on the serving file, unfiltered and filtered as Metabase would."""

from __future__ import annotations

import re

import duckdb
import pytest

from bi.metabase.__main__ import mart_columns
from bi.metabase.questions import SETUP, questions, setup_markdown


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


def test_every_question_runs_on_the_serving_file(nightly_runs, crm_env):
    con = duckdb.connect(crm_env["SERVING_PATH"], read_only=True)
    try:
        team, rep = con.execute(
            "select team_name, rep_name from marts.mart_rep_performance_monthly "
            "where team_name is not null order by bookings desc limit 1"
        ).fetchone()
        for q in questions(mart_columns()):
            rows = con.execute(_as_metabase_runs(q.sql, {})).fetchall()
            assert rows and rows[0][0] is not None, q.name
            picked = {
                v: f"{col} = '{team if v == 'team' else rep}'"
                if v != "month"
                else f"{col} >= DATE '2026-01-01'"
                for v, col in q.filters.items()
            }
            filtered = con.execute(_as_metabase_runs(q.sql, picked)).fetchall()
            assert len(filtered) <= len(rows), q.name

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
