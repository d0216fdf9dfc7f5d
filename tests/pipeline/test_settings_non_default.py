"""The marts honour the settings: a CRM in Europe/Berlin keeping EUR, reported in Berlin
time with a fiscal year starting in April, still equals the ground truth."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import SEED, point_pipeline_at
from ..kpi_compare import compare_all

TIMEZONE, CURRENCY, FISCAL_START = "Europe/Berlin", "EUR", 4


@pytest.fixture(scope="module")
def berlin_warehouse(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("berlin") / "warehouse.duckdb"
    extra = ("--timezone", TIMEZONE, "--home-currency", CURRENCY)
    with sandbox_process("small", SEED, extra_args=extra) as sb, pytest.MonkeyPatch.context() as mp:
        # Every path of its own: the session's serving file must stay the session's.
        point_pipeline_at(mp, sb, path.parent)
        mp.setenv("REPORTING_TIMEZONE", TIMEZONE)
        mp.setenv("HOME_CURRENCY", CURRENCY)
        mp.setenv("FISCAL_YEAR_START_MONTH", str(FISCAL_START))
        result = run_nightly_job(dg.DagsterInstance.ephemeral())
        assert result.success, first_failure(result)
    return str(path)


def test_every_mart_equals_ground_truth_with_non_default_settings(berlin_warehouse):
    org = Organisation("small", SEED, timezone=TIMEZONE, home_currency=CURRENCY)
    truth = Truth(org, timezone=TIMEZONE, fiscal_year_start_month=FISCAL_START)
    problems = compare_all(berlin_warehouse, truth)
    assert {mart: p[:5] for mart, p in problems.items() if p} == {}


def test_fiscal_calendar_starts_in_april(berlin_warehouse):
    con = duckdb.connect(berlin_warehouse, read_only=True)
    try:
        rows = con.execute(
            "select date_day, fiscal_year, fiscal_quarter, fiscal_quarter_start from core.dim_date "
            "where date_day in ('2025-03-31', '2025-04-01', '2025-12-15') order by 1"
        ).fetchall()
    finally:
        con.close()
    assert [(str(d), fy, fq, str(qs)) for d, fy, fq, qs in rows] == [
        ("2025-03-31", 2025, 4, "2025-01-01"),
        ("2025-04-01", 2026, 1, "2025-04-01"),
        ("2025-12-15", 2026, 3, "2025-10-01"),
    ]
