"""PostgreSQL publish as one transaction: a reader polling during publishes never sees
tables (or the `publication` row) of two different runs; a publish failing mid-way leaves
every table at the previous publish; new columns are added in place (views survive);
working folders of a killed publish are removed by the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg2
import pytest

from orchestration.publish.postgres import (
    WORK_DIR_PREFIX,
    PublishError,
    publish_to_postgres,
)
from tests.publish import test_publish_postgres
from tests.publish.test_publish_postgres import PG_BIN, PgServer

pytestmark = pytest.mark.skipif(
    PG_BIN is None,
    reason="no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql",
)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server of this module's own, as test_publish_postgres starts."""
    yield from test_publish_postgres.pg.__wrapped__()


ROOT = Path(__file__).resolve().parents[2]
# Table -> (schema, rows in run "a", rows in run "b"): sizes differ so a half-swapped
# reader would see a count that belongs to neither run.
TABLES = {
    "dim_reps": ("core", 24, 25),
    "fct_activities": ("core", 40_000, 41_000),
    "fct_deals": ("core", 3_000, 2_500),
    "mart_rep_performance_monthly": ("marts", 600, 625),
}
AS_OF = {
    "a": datetime(2026, 10, 14, 20, 0, tzinfo=UTC),
    "b": datetime(2026, 10, 15, 20, 0, tzinfo=UTC),
}


def serving_file(path: Path, run: str, extra_column: bool = False) -> Path:
    """A serving file whose every row carries its run id, and its `main.publication`."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema core; create schema marts")
        for name, (schema, rows_a, rows_b) in TABLES.items():
            rows = rows_a if run == "a" else rows_b
            extra = ", i * 2 as extra" if extra_column else ""
            con.execute(
                f"create table {schema}.{name} as select i as id, '{run}' as run_id{extra} "
                f"from range({rows}) t(i)"
            )
        con.execute(
            "create table main.publication as select now() as published_at, "
            "?::timestamptz as data_as_of, ? as dagster_run_id",
            [AS_OF[run], f"run-{run}"],
        )
    finally:
        con.close()
    return path


def expected_signature(run: str) -> dict[str, tuple]:
    signature: dict[str, tuple] = {"publication": (f"run-{run}",)}
    for name, (_, rows_a, rows_b) in TABLES.items():
        signature[name] = (run, rows_a if run == "a" else rows_b)
    return signature


def read_signature(cur, schema: str) -> dict[str, tuple]:
    """One statement per table, as a BI tool would: what each table says about its run."""
    cur.execute(f"select dagster_run_id from {schema}.publication")
    signature: dict[str, tuple] = {"publication": tuple(r[0] for r in cur.fetchall())}
    for name in TABLES:
        cur.execute(f"select string_agg(distinct run_id, ','), count(*) from {schema}.{name}")
        signature[name] = cur.fetchone()
    return signature


def test_a_reader_never_sees_two_runs_mixed(pg_server, tmp_path):
    schema = "crm_atomic"
    files = {run: serving_file(tmp_path / f"{run}.duckdb", run) for run in ("a", "b")}
    publish_to_postgres(files["a"], pg_server.dsn(), schema, None)

    seen: list[dict[str, tuple]] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def poll() -> None:
        conn = psycopg2.connect(pg_server.dsn())
        conn.set_session(isolation_level="REPEATABLE READ")
        try:
            while not stop.is_set():
                with conn.cursor() as cur:
                    seen.append(read_signature(cur, schema))
                conn.commit()  # the next poll takes a fresh snapshot
        except BaseException as exc:  # noqa: BLE001 (reported by the test below)
            failures.append(exc)
        finally:
            conn.close()

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for run in ("b", "a", "b"):
            publish_to_postgres(files[run], pg_server.dsn(), schema, None)
    finally:
        stop.set()
        reader.join(timeout=60)

    assert not failures, failures
    mixed = [s for s in seen if s not in (expected_signature("a"), expected_signature("b"))]
    assert not mixed, mixed[:3]
    # The reader did poll across the publishes: it saw both runs.
    assert {s["publication"] for s in seen} == {("run-a",), ("run-b",)}, len(seen)
    assert read_signature(pg_server.connect().cursor(), schema) == expected_signature("b")
    (row,) = pg_server.query(f"select published_at, data_as_of from {schema}.publication")
    assert row[1] == AS_OF["b"]
    assert abs((datetime.now(UTC) - row[0]).total_seconds()) < 60


def test_a_publish_failing_mid_way_leaves_every_table_at_the_previous_publish(pg_server, tmp_path):
    schema = "crm_midway"
    publish_to_postgres(serving_file(tmp_path / "a.duckdb", "a"), pg_server.dsn(), schema, None)
    before = read_signature(pg_server.connect().cursor(), schema)
    assert before == expected_signature("a")
    # The last table refilled fails in PostgreSQL, after the others were refilled.
    pg_server.query(
        "create function refuse() returns trigger language plpgsql as "
        "$$ begin raise exception 'disk full (simulated)'; end $$"
    )
    pg_server.query(
        f"create trigger refuse before insert on {schema}.mart_rep_performance_monthly "
        "for each statement execute function refuse()"
    )
    with pytest.raises(PublishError) as error:
        publish_to_postgres(serving_file(tmp_path / "b.duckdb", "b"), pg_server.dsn(), schema, None)
    message = str(error.value)
    assert (
        "disk full (simulated)" in message and "every table keeps its previous publish" in message
    )
    assert "\n" not in message
    assert read_signature(pg_server.connect().cursor(), schema) == before

    pg_server.query(f"drop trigger refuse on {schema}.mart_rep_performance_monthly")
    publish_to_postgres(tmp_path / "b.duckdb", pg_server.dsn(), schema, None)
    assert read_signature(pg_server.connect().cursor(), schema) == expected_signature("b")


def test_a_new_column_is_added_in_place_and_views_survive(pg_server, tmp_path):
    schema = "crm_evolve"
    publish_to_postgres(
        serving_file(tmp_path / "a.duckdb", "a"), pg_server.dsn(), schema, "bi_evolve"
    )
    oid = pg_server.query(f"select '{schema}.fct_deals'::regclass::oid::bigint")
    pg_server.query(f"create view {schema}.my_deals as select id, run_id from {schema}.fct_deals")

    serving = serving_file(tmp_path / "b.duckdb", "b", extra_column=True)
    publish_to_postgres(serving, pg_server.dsn(), schema, "bi_evolve")

    assert pg_server.query(f"select '{schema}.fct_deals'::regclass::oid::bigint") == oid
    assert pg_server.query(f"select count(*), max(extra) from {schema}.fct_deals") == [
        (2_500, 4_998)
    ]
    assert pg_server.query(f"select count(*), min(run_id) from {schema}.my_deals") == [(2_500, "b")]
    assert pg_server.query(
        "select has_table_privilege('bi_evolve', %s, 'select')", (f"{schema}.publication",)
    ) == [(True,)]


def test_working_folders_of_a_killed_publish_are_removed_by_the_next(
    pg_server, tmp_path, monkeypatch
):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # A publish killed while dlt works: its folder stays behind.
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal\n"
            "from orchestration.publish.postgres import _work_dir\n"
            "with _work_dir() as path:\n"
            "    (path / 'load_package').mkdir()\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n",
        ],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (left,) = scratch.glob(f"{WORK_DIR_PREFIX}*")
    assert (left / "load_package").is_dir()
    # A publish still running (this process), and folders of an earlier version (no pid).
    running = scratch / f"{WORK_DIR_PREFIX}{os.getpid()}_running"
    old_legacy = scratch / f"{WORK_DIR_PREFIX}k3x9_q2z"
    new_legacy = scratch / f"{WORK_DIR_PREFIX}m7w1a0bc"
    for folder in (running, old_legacy, new_legacy):
        folder.mkdir()
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old_legacy, (two_days_ago, two_days_ago))

    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    publish_to_postgres(
        serving_file(tmp_path / "a.duckdb", "a"), pg_server.dsn(), "crm_workdir", None
    )

    # The killed one and the old legacy one are gone; this publish left nothing.
    assert sorted(scratch.glob(f"{WORK_DIR_PREFIX}*")) == sorted([running, new_legacy])
