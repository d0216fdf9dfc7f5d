"""The Dagster UI: what the asset catalog shows; `make dev` starts, shows alerts, stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ingestion.sandbox.runner import RunningSandbox, free_port
from orchestration.definitions import defs

from ..conftest import pipeline_env

ROOT = Path(__file__).resolve().parents[2]


def test_assets_show_sensible_kind_icons_and_no_dbt_logo():
    graph = defs.resolve_asset_graph()
    kinds = Counter(
        (key.path[0], frozenset(graph.get(key).kinds)) for key in graph.get_all_asset_keys()
    )
    model = frozenset({"sql", "duckdb"})
    assert kinds[("raw_hubspot", frozenset({"dlt", "duckdb"}))] == 19
    for layer in ("staging", "intermediate", "core", "marts", "quarantine"):
        assert kinds[(layer, model)] > 0, layer
    # dbt's red logo beside every model read as an error in the catalog
    assert not [key for key in graph.get_all_asset_keys() if "dbt" in graph.get(key).kinds]


def _group_alive(pgid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "-g", str(pgid)], capture_output=True, text=True
    )
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


@contextmanager
def make_dev(home: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """`make dev` in its own session (as a terminal runs it) on a free port."""
    port = free_port()
    log = home / "make_dev.log"
    proc = subprocess.Popen(
        ["make", "dev", f"DEV_PORT={port}"],
        cwd=ROOT,
        env={**env, "DAGSTER_HOME": str(home)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the UI did not answer: " + log.read_text()[-3000:]
            time.sleep(1)
        yield proc, url, log
    finally:
        if proc.poll() is None and _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _stops_within_a_minute(proc: subprocess.Popen, sig: signal.Signals) -> None:
    os.killpg(proc.pid, sig)  # what Ctrl-C (or a service manager) does to the process group
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        proc.poll()  # reap make itself
        if not _group_alive(proc.pid):
            return
        time.sleep(1)
    pytest.fail(f"still running 60 s after {sig.name}: {_group_alive(proc.pid)}")


def _wait_for(log: Path, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"{text!r} not in: " + log.read_text()[-3000:]
        time.sleep(1)
    return log.read_text()


@pytest.mark.slow
def test_make_dev_shows_the_alert_and_stops_on_ctrl_c(sandbox: RunningSandbox, tmp_path):
    """The UI, the daemon and the code server start with the current CLI (no deprecation
    hint); a failed run's alert line shows in the output; SIGINT stops everything."""
    env = {**os.environ, **pipeline_env(sandbox, tmp_path), "CRM_ACCESS_TOKEN": "wrong"}
    env.pop("ALERT_WEBHOOK_URL", None)
    home = tmp_path / "home"
    home.mkdir()
    with make_dev(home, env) as (proc, _url, log):
        _wait_for(log, "Initiating nightly_failure_alert", 120)
        failed = subprocess.run(
            [sys.executable, "-m", "orchestration.lib.runs"],
            cwd=ROOT,
            env={**env, "DAGSTER_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert failed.returncode == 1, failed.stderr
        output = _wait_for(log, "of nightly_warehouse failed", 120)
        _stops_within_a_minute(proc, signal.SIGINT)
    alert = [line for line in output.splitlines() if line.startswith("CRM warehouse: run")]
    assert len(alert) == 1 and "set CRM_ACCESS_TOKEN" in alert[0], output[-3000:]
    assert "Use 'dg dev' instead" not in output and "virtual environment" not in output


@pytest.mark.slow
def test_make_dev_stops_on_sigterm(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with make_dev(home, dict(os.environ)) as (proc, url, _log):
        assert httpx.get(f"{url}/server_info", timeout=10).json()["dagster_webserver_version"]
        _stops_within_a_minute(proc, signal.SIGTERM)
