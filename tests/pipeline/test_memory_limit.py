"""DUCKDB_MEMORY_LIMIT reaches the DuckDB of dlt's load and of dbt (DuckDB's own default
is 80 % of the machine's memory: a large organisation's build took what it could get)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingestion.hubspot.source import hubspot_pipeline
from ingestion.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, PROJECT_ROOT

DBT = Path(sys.executable).with_name("dbt")


def _limit(value: str) -> str:
    """DuckDB's own rendering of a memory limit (e.g. 300MB -> 286.1 MiB)."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": value})
    try:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def test_dlt_loads_with_the_memory_limit(tmp_path):
    pipeline = hubspot_pipeline(
        str(tmp_path / "w.duckdb"), str(tmp_path / "dlt"), memory_limit="300MB"
    )
    with pipeline.sql_client() as client:
        [(value,)] = client.execute_sql("select current_setting('memory_limit')")
    assert value == _limit("300MB") != _limit(DEFAULT_DUCKDB_MEMORY_LIMIT)


def test_dbt_builds_with_the_memory_limit(tmp_path):
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
        "DUCKDB_MEMORY_LIMIT": "300MB",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    shown = subprocess.run(
        [str(DBT), "show", "--inline", "select current_setting('memory_limit') as m", "-q",
         "--profiles-dir", ".", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_ROOT / "dbt_project", env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert _limit("300MB") in shown.stdout, shown.stdout
