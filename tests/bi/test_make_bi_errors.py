"""`make bi` on bad input: one line naming what to fix, exit code 1, nothing started."""

from __future__ import annotations

import socket

import duckdb

from bi.superset.__main__ import cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_bi(tmp_path, capsys, serving, port=None) -> str:
    args = ["--serving", str(serving), "--home", str(tmp_path / "home")]
    assert cli([*args, "--port", str(port or _free_port())]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_no_serving_file_says_to_run_the_demo(tmp_path, capsys):
    err = _make_bi(tmp_path, capsys, tmp_path / "serving.duckdb")
    assert (
        err
        == f"error: no serving file at {tmp_path / 'serving.duckdb'}: run `make demo` (or `make run`) first"
    )
    assert not (tmp_path / "home").exists()


def test_a_serving_file_without_the_marts_names_what_is_missing(tmp_path, capsys):
    serving = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(serving))
    con.execute("create schema marts; create table marts.mart_stage_funnel (stage_label text)")
    con.close()
    err = _make_bi(tmp_path, capsys, serving)
    assert err.startswith(f"error: {serving} lacks what the dashboard reads: ")
    assert "marts.mart_rep_performance_monthly; " in err
    assert "marts.mart_stage_funnel (created_month, deals_entered)" in err
    assert err.endswith("publish a current build first (make run)")


def test_a_port_in_use_names_another(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = _make_bi(tmp_path, capsys, tmp_path / "serving.duckdb", port)
    assert (
        err
        == f"error: port {port} is in use (another Superset?): choose another, e.g. `make bi BI_PORT={port + 1}`"
    )
