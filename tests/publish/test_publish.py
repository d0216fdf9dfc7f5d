"""Write-audit-publish: serving.duckdb holds what BI needs, opens in DuckDB 1.5, is never
blocked by a reader, and stays at the last good version when the audit fails."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.runs import first_failure
from orchestration.publish.serving import publish_serving_file

from ..conftest import NightlyRuns, audit_and_publish_job

ROOT = Path(__file__).resolve().parents[2]
PUBLISH = dg.AssetKey(["publish", "serving_duckdb"])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_serving_file_has_every_mart_and_fact_with_comments(nightly_runs: NightlyRuns, crm_env):
    build = duckdb.connect(nightly_runs.warehouse, read_only=True)
    serving = duckdb.connect(crm_env["SERVING_PATH"], read_only=True)
    try:
        query = (
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "where schema_name in ('core', 'marts') order by 1"
        )
        built = [t for t, _ in build.execute(query).fetchall()]
        served = [t for t, _ in serving.execute(query).fetchall()]
        assert served == built and "marts.mart_rep_performance_monthly" in served
        for table in served:
            count = f"select count(*) from {table}"
            assert serving.execute(count).fetchone() == build.execute(count).fetchone(), table
        undocumented = serving.execute(
            "select table_name || '.' || column_name from duckdb_columns() "
            "where schema_name = 'marts' and (comment is null or comment = '')"
        ).fetchall()
        assert undocumented == []
        storage = serving.execute(
            "select tags['storage_version'] from duckdb_databases() where not internal"
        ).fetchone()[0]
        assert storage.startswith("v1.5.0")
        run_id = serving.execute("select dagster_run_id from main.publication").fetchone()[0]
        assert run_id == nightly_runs.second.run_id
    finally:
        build.close()
        serving.close()


def test_a_reader_holding_the_serving_file_never_blocks_a_run(nightly_runs: NightlyRuns):
    # The reader opened the file after the first run and kept it open through the second:
    # the second run succeeded and the reader kept reading its (first run's) copy.
    assert nightly_runs.first.run_id in nightly_runs.reader_saw
    assert nightly_runs.second.success


@pytest.fixture(scope="module")
def duckdb15_python(tmp_path_factory) -> str:
    """A throwaway venv with DuckDB 1.5 (the version Metabase's driver bundles)."""
    cache = ROOT / ".cache" / "duckdb-1.5"
    python = cache / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(cache)], check=True)
        pip = subprocess.run(
            [str(cache / "bin" / "pip"), "install", "--quiet", "duckdb==1.5.*"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if pip.returncode != 0:
            shutil.rmtree(cache, ignore_errors=True)
            pytest.skip(f"DuckDB 1.5 cannot be installed here: {pip.stderr.strip()[-200:]}")
    return str(python)


def test_serving_file_opens_with_duckdb_1_5(nightly_runs: NightlyRuns, crm_env, duckdb15_python):
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__); "
        "print(con.execute('select count(*) from marts.mart_rep_performance_monthly').fetchone()[0])"
    )
    out = subprocess.run(
        [duckdb15_python, "-c", code, crm_env["SERVING_PATH"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-1000:]
    version, rows = out.stdout.split()
    assert version.startswith("1.5.")
    assert int(rows) > 0


def test_failed_audit_keeps_the_last_good_serving_file(
    nightly_runs: NightlyRuns, tmp_path, monkeypatch
):
    warehouse = tmp_path / "warehouse.duckdb"
    serving = tmp_path / "serving.duckdb"
    shutil.copy(nightly_runs.warehouse, warehouse)
    publish_serving_file(warehouse, serving, "last-good")
    good = _digest(serving)
    con = duckdb.connect(str(warehouse))
    con.execute(
        "update marts.mart_rep_performance_monthly set win_rate = 1.5 "
        "where rep_month_id = (select min(rep_month_id) from marts.mart_rep_performance_monthly)"
    )
    con.close()
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("SERVING_PATH", str(serving))
    result = audit_and_publish_job().execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    assert "gx_mart_rep_performance_monthly" in first_failure(result) or any(
        c.check_name == "gx_mart_rep_performance_monthly" and not c.passed
        for c in result.get_asset_check_evaluations()
    )
    assert PUBLISH not in {e.asset_key for e in result.get_asset_materialization_events()}
    assert _digest(serving) == good
