"""`make bi` on bad input: one line naming what to fix, exit code 1, nothing started; and
its --bundle for a Superset of your own."""

from __future__ import annotations

import socket
import zipfile

import duckdb
import yaml

from bi.superset import dashboard as d
from bi.superset.__main__ import cli
from ingestion.sandbox.runner import free_port


def _make_bi(tmp_path, capsys, serving, port=None) -> str:
    args = ["--serving", str(serving), "--home", str(tmp_path / "home")]
    assert cli([*args, "--port", str(port or free_port())]) == 1
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


def test_a_bundle_for_your_own_superset_on_the_postgres_publish(tmp_path, capsys):
    """--bundle writes only the import ZIP, here pointed at the PostgreSQL publish."""
    serving = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(serving))
    con.execute("create schema marts")
    for dataset in d.DATASETS:
        columns = ", ".join(f"{c} double" for c in sorted(d.dataset_columns_named(dataset)))
        con.execute(f"create table marts.{dataset.table} ({columns})")
        con.execute(f"comment on table marts.{dataset.table} is 'about {dataset.table}'")
    con.close()
    out = tmp_path / "dashboard.zip"
    uri = "postgresql://bi_reader@db.example:5432/warehouse"
    args = ["--serving", str(serving), "--bundle", str(out), "--database-uri", uri]
    assert cli([*args, "--schema", "crm_marts"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}")
    with zipfile.ZipFile(out) as zf:
        files = {name: yaml.safe_load(zf.read(name)) for name in zf.namelist()}
    (database,) = [f for name, f in files.items() if "/databases/" in name]
    assert database["sqlalchemy_uri"] == uri
    datasets = [f for name, f in files.items() if "/datasets/" in name]
    assert {f["schema"] for f in datasets} == {"crm_marts"}
    assert {f["table_name"]: f["description"] for f in datasets} == {
        ds.table: f"about {ds.table}" for ds in d.DATASETS
    }
    charts = [f for name, f in files.items() if "/charts/" in name]
    assert sorted(c["slice_name"] for c in charts) == sorted(c.name for c in d.CHARTS)
