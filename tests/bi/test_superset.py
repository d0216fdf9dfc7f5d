"""Superset, provisioned as `make bi` does, over the serving file of a pipeline run.

A real Superset (the BI environment, .venv-bi) reads the serving file through DuckDB 1.5;
headless Chromium opens the dashboard as a user does. Checks: every chart drew data, with
no error; charts' numbers equal the marts'; the Team filter narrows them; the datasets
carry the dbt descriptions; a new publish shows on the next refresh, without
re-provisioning, and swapping the file under a dashboard that keeps querying breaks
nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest
import requests

from bi.superset import dashboard as d
from bi.superset import server
from ingestion.sandbox.runner import free_port
from orchestration.lib.catalog import load_manifest
from orchestration.publish.serving import publish_serving_file

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium "
    "(apt-get install -y --no-install-recommends chromium)",
)


class Superset:
    def __init__(self, home: server.Home, url: str, build: Path, serving: Path):
        self.home, self.url, self.build, self.serving = home, url, build, serving
        self.session = requests.Session()
        token = self.session.post(
            f"{url}/api/v1/security/login",
            json={
                "username": server.ADMIN,
                "password": home.admin_password,
                "provider": "db",
                "refresh": True,
            },
            timeout=30,
        ).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> dict:
        answer = self.session.get(f"{self.url}{path}", timeout=60)
        assert answer.status_code == 200, answer.text[:500]
        return answer.json()

    def dataset_id(self, table: str) -> int:
        found = self.get(f"/api/v1/dataset/?q=(filters:!((col:table_name,opr:eq,value:{table})))")
        (row,) = found["result"]
        return row["id"]

    def bookings(self) -> tuple[int, float | None]:
        """What the dashboard's Bookings chart asks for: its status and number."""
        answer = self.session.post(
            f"{self.url}/api/v1/chart/data",
            json={
                "datasource": {"id": self.dataset_id(d.REP_MONTHS.table), "type": "table"},
                "queries": [{"metrics": ["bookings"], "columns": [], "row_limit": 1}],
                "result_format": "json",
                "result_type": "full",
            },
            timeout=60,
        )
        if answer.status_code != 200:
            return answer.status_code, None
        return 200, answer.json()["result"][0]["data"][0]["bookings"]

    def open_dashboard(self, team: str | None = None, excluded_by_team: int = 0) -> dict:
        """The dashboard in headless Chromium (bi/superset/browser.py, in .venv-bi)."""
        done = subprocess.run(
            [
                str(server.BI_VENV / "bin" / "python"),
                "-m",
                "bi.superset.browser",
                f"--url={self.url}",
                f"--password-file={self.home.password_file}",
                f"--expected-charts={len(d.CHARTS)}",
                *([f"--team={team}", f"--excluded-by-team={excluded_by_team}"] if team else []),
            ],
            cwd=server.REPO,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def superset(nightly_runs, tmp_path_factory):
    """Superset provisioned over a copy of the run's build, published as the pipeline does."""
    if not (server.BI_VENV / "bin" / "superset").exists():
        pytest.fail("the BI environment is missing: run `make bi-setup` (make test does)")
    os.environ.pop(server.PASSWORD_ENV, None)
    where = tmp_path_factory.mktemp("bi")
    build = where / "warehouse.duckdb"
    shutil.copyfile(nightly_runs.warehouse, build)
    serving = where / "serving.duckdb"
    publish_serving_file(build, serving, run_id="bi-night-1")
    home = server.provision(where / "superset", serving)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = server.start(home, port)
    try:
        server.wait_until_up(url, proc, home)
        yield Superset(home, url, build, serving)
    finally:
        server.stop(proc)


def _marts(serving: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_chart_draws_the_marts_data(superset):
    page = superset.open_dashboard()
    assert page["title"] == d.TITLE
    charts = {c["name"]: c for c in page["charts"]}
    assert set(charts) == {c.name for c in d.CHARTS}
    for chart in page["charts"]:
        assert chart["error"] is None, chart
        assert not chart["empty"], chart
        drew = chart["canvas"] or chart["table_rows"] or any(ch.isdigit() for ch in chart["text"])
        assert drew, f"{chart['name']} drew nothing: {chart}"
    answers = {a["slice_id"]: a for a in page["answers"] if a.get("slice_id")}
    assert {a["status"] for a in page["answers"]} == {200}
    assert len(answers) == len(d.CHARTS)
    for answer in answers.values():
        assert all(r["rowcount"] and not r["error"] for r in answer["result"]), answer

    # Quota attainment by team, month by month: Superset's sums equal the mart's rates.
    by_team = answers[charts["Quota attainment by team"]["chart_id"]]["result"][0]["data"]
    drawn = {
        (time.strftime("%Y-%m-%d", time.gmtime(row["month_start"] / 1000)), team): value
        for row in by_team
        for team, value in row.items()
        if team != "month_start" and value is not None
    }
    mart = {
        (str(month), team): attainment
        for month, team, attainment in _marts(
            superset.serving,
            "select month_start, team_name, quota_attainment "
            "from marts.mart_team_performance_monthly where quota_attainment is not null",
        )
    }
    assert drawn.keys() == mart.keys()
    assert all(abs(drawn[k] - mart[k]) < 1e-9 for k in mart)

    # The Bookings number is the sum of every rep-month's bookings.
    (total,) = _marts(
        superset.serving, "select sum(bookings) from marts.mart_rep_performance_monthly"
    )[0]
    bookings = answers[charts["Bookings"]["chart_id"]]["result"][0]["data"][0]["bookings"]
    assert bookings == pytest.approx(float(total), abs=0.01)


def test_the_team_filter_narrows_the_charts(superset):
    team, team_bookings = _marts(
        superset.serving,
        "select team_name, sum(bookings) from marts.mart_rep_performance_monthly "
        "where team_name is not null group by 1 order by 2 desc limit 1",
    )[0]
    page = superset.open_dashboard(team=team, excluded_by_team=1)
    filtered = page["team"]
    assert all(c["error"] is None and not c["empty"] for c in filtered["charts"]), filtered
    charts = {c["name"]: c for c in filtered["charts"]}
    answers = {a["slice_id"]: a for a in filtered["answers"] if a.get("slice_id")}
    # Every chart but the stage funnel (per pipeline, no team) asked again, for the team.
    assert charts["Stage funnel"]["chart_id"] not in answers
    assert len(answers) == len(d.CHARTS) - 1
    bookings = answers[charts["Bookings"]["chart_id"]]["result"][0]["data"][0]["bookings"]
    assert bookings == pytest.approx(float(team_bookings), abs=0.01)
    scorecard = answers[charts["Rep scorecard"]["chart_id"]]["result"][0]["data"]
    assert scorecard and {row["team_name"] for row in scorecard} == {team}


def test_datasets_carry_the_dbt_column_descriptions(superset):
    manifest = load_manifest()["nodes"].values()
    for dataset in d.DATASETS:
        node = next(n for n in manifest if n["name"] == dataset.table)
        found = superset.get(f"/api/v1/dataset/{superset.dataset_id(dataset.table)}")["result"]
        described = {c["column_name"]: c["description"] for c in found["columns"]}
        assert described == {name: c["description"] for name, c in node["columns"].items()}
        assert found["description"] == node["description"]
        metrics = {m["metric_name"] for m in found["metrics"]}
        assert metrics == {m.name for m in dataset.metrics}
        assert found["database"]["database_name"] == d.DATABASE


def test_a_new_publish_shows_on_refresh_and_the_swap_breaks_no_query(superset):
    status, before = superset.bookings()
    assert status == 200
    # The next night's build: one more won deal's worth of bookings in one rep-month.
    con = duckdb.connect(str(superset.build))
    con.execute(
        "update marts.mart_rep_performance_monthly set bookings = bookings + 1000 "
        "where rep_month_id = (select min(rep_month_id) from marts.mart_rep_performance_monthly)"
    )
    con.close()

    # A dashboard that keeps asking while the pipeline publishes (atomic swap) three times.
    seen: list[tuple[int, float | None]] = []
    stop = threading.Event()

    def keep_asking():
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            seen.append(superset.bookings())

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        for night in range(2, 5):
            publish_serving_file(superset.build, superset.serving, run_id=f"bi-night-{night}")
            time.sleep(1)
    finally:
        stop.set()
        asker.join()
    assert len(seen) >= 3
    assert {status for status, _ in seen} == {200}, seen
    assert {round(value, 2) for _, value in seen} <= {round(before, 2), round(before + 1000, 2)}

    status, after = superset.bookings()  # a refresh: no re-provisioning in between
    assert status == 200 and after == pytest.approx(before + 1000, abs=0.01)
    published = superset.get("/api/v1/dashboard/sales-performance")["result"]
    assert published["dashboard_title"] == d.TITLE
