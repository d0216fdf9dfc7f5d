"""A publish killed with kill -9 leaves `.serving.duckdb.<pid>.tmp` and its `.wal`: the next
publish removes them, and leaves a live publish's files and unrelated files alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.publish.serving import publish_serving_file

# Writes its serving temp file like a publish does, leaves a WAL (no checkpoint), then waits.
HALF_PUBLISH = (
    "import duckdb, os, sys, time\n"
    "folder = sys.argv[1]\n"
    "con = duckdb.connect(os.path.join(folder, f'.serving.duckdb.{os.getpid()}.tmp'))\n"
    "con.execute('create table t as select 1 as x')\n"
    "print('writing', flush=True)\n"
    "time.sleep(600)\n"
)


def build_warehouse(path: Path) -> None:
    """The smallest build file a publish reads: one mart and the data-as-of row."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.mart_x as select 1 as rep_id, 2.5 as bookings")
    con.execute("create schema intermediate")
    con.execute(
        "create table intermediate.int_data_as_of as select timestamptz '2026-10-15 12:00:00+00' as as_of_at"
    )
    con.close()


def half_publish(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HALF_PUBLISH, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "writing"
    return proc


def test_next_publish_removes_dead_publishes_temp_files(tmp_path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(build)
    killed = half_publish(tmp_path)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    live = half_publish(tmp_path)
    try:
        dead_files = [
            tmp_path / f".serving.duckdb.{killed.pid}.tmp",
            tmp_path / f".serving.duckdb.{killed.pid}.tmp.wal",
        ]
        live_files = [
            tmp_path / f".serving.duckdb.{live.pid}.tmp",
            tmp_path / f".serving.duckdb.{live.pid}.tmp.wal",
        ]
        unrelated = [tmp_path / ".serving.duckdb.notes.tmp", tmp_path / ".other.duckdb.1.tmp"]
        for path in unrelated:
            path.write_text("keep")
        assert all(path.exists() for path in dead_files + live_files)

        published = publish_serving_file(build, serving, "after-the-kill")

        assert published.leftovers_removed == dead_files
        assert not any(path.exists() for path in dead_files)
        assert all(path.exists() for path in live_files + unrelated)
        assert sorted(
            p.name for p in tmp_path.iterdir() if p.name.startswith(".serving")
        ) == sorted(p.name for p in live_files + unrelated[:1])
    finally:
        live.kill()
        live.wait()
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert con.execute("select * from marts.mart_x").fetchall() == [(1, 2.5)]
        assert con.execute("select dagster_run_id from main.publication").fetchall() == [
            ("after-the-kill",)
        ]
    finally:
        con.close()


def test_a_dead_pid_reused_by_a_newer_process_counts_as_dead(tmp_path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    build_warehouse(build)
    # This process's pid on a file last written before this process started: an earlier
    # process with the same pid wrote it.
    stale = tmp_path / f".serving.duckdb.{os.getpid()}.tmp.wal"
    stale.write_text("not a wal")
    os.utime(stale, (0, 0))

    published = publish_serving_file(build, serving, "reused-pid")

    assert published.leftovers_removed == [stale]
    assert not stale.exists()
