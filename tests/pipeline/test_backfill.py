"""Daily partitions: a backfill of a 7-day range, run as one run, leaves the warehouse
exactly as seven nightly runs of those days one by one (and as a rebuild from scratch of
the same raw data), and equal to the ground truth."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import dagster as dg
import httpx
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.backfill import check_range, main
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import SEED, point_pipeline_at, snapshot
from ..kpi_compare import compare_all
from .test_end_to_end import dbt_test

# The sandbox clock starts 2026-10-15 12:00 UTC; +10 h is 02:00 on 2026-10-16 in Baku,
# when the nightly schedule runs for the day before.
AT_2AM = 10 / 24
FIRST_NIGHT = date(2026, 10, 15)
DAYS = 7


def _run(instance, first: date, last: date | None = None) -> None:
    result = run_nightly_job(
        instance, first_day=first.isoformat(), last_day=(last or first).isoformat()
    )
    assert result.success, first_failure(result)


def test_a_7_day_backfill_equals_7_nightly_runs(tmp_path, monkeypatch):
    nightly, backfilled = tmp_path / "nightly", tmp_path / "backfilled"
    nightly.mkdir()
    instance = dg.DagsterInstance.ephemeral()
    days = [FIRST_NIGHT + timedelta(days=k) for k in range(1, DAYS + 1)]

    # Night 0 loads the history; then the CRM lives on, one nightly run per day.
    with sandbox_process("small", SEED, extra_args=("--days-later", str(AT_2AM))) as sb:
        point_pipeline_at(monkeypatch, sb, nightly)
        _run(instance, FIRST_NIGHT)
        shutil.copytree(nightly, backfilled)
        for day in days:
            httpx.post(
                f"{sb.base_url}/_sandbox/clock",
                json={"advance_days": 1},
                headers={"Authorization": f"Bearer {sb.token}"},
                timeout=120,
            ).raise_for_status()
            _run(instance, day)
    one_by_one = snapshot(str(nightly / "warehouse.duckdb"))

    # Seven incremental nights leave what a rebuild from scratch of the same raw data makes.
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(nightly / "warehouse.duckdb", rebuilt)
    done = dbt_test(
        rebuilt,
        tmp_path / "target",
        "--full-refresh",
        "--exclude-resource-type",
        "unit_test",
        command="build",
    )
    assert done.returncode == 0, done.stdout[-3000:]
    from_scratch = snapshot(str(rebuilt))
    for table, rows in one_by_one.items():
        assert from_scratch[table] == rows, table

    # The same seven days as one backfill run, from the night-0 warehouse.
    with sandbox_process("small", SEED, extra_args=("--days-later", str(DAYS + AT_2AM))) as sb:
        point_pipeline_at(monkeypatch, sb, backfilled)
        _run(instance, days[0], days[-1])
    at_once = snapshot(str(backfilled / "warehouse.duckdb"))

    assert at_once.keys() == one_by_one.keys()
    for table, rows in one_by_one.items():
        assert at_once[table] == rows, table
    # Both hold the CRM as it was when the last run read it.
    truth = Truth(Organisation("small", SEED, days_later=DAYS + AT_2AM))
    problems = compare_all(str(backfilled / "warehouse.duckdb"), truth)
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2026-03-01", "2026-02-01", "is after"),
        ("2026-03-01", "2999-01-01", "not a complete day yet"),
        ("1999-01-01", "1999-01-02", "before the first day"),
        ("March 1", "2026-03-02", "YYYY-MM-DD"),
    ],
)
def test_a_bad_backfill_range_is_refused_with_one_line(first, last, expected):
    assert expected in check_range(first, last)
    assert check_range("2026-03-01", "2026-03-31") is None


def test_a_backfill_while_a_nightly_run_is_in_progress_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = dg.DagsterInstance.get()
    run = dg.DagsterRun(
        job_name="nightly_warehouse", run_id="0123abcd" * 4, status=dg.DagsterRunStatus.STARTED
    )
    instance.add_run(run)
    assert main(["--from", "2026-03-01", "--to", "2026-03-07"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: nightly run 0123abcd is in progress: wait for it to finish "
        "(make dev shows it), then run the backfill again"
    ]
