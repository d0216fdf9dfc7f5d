"""Two HubSpot connections at once (two portals after an acquisition): two sandboxes with
different seeds, one nightly run, and every mart equals the union of both organisations'
ground truth; a CRM's ids (owners, teams, deals) collide across the two and stay apart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth

from ..kpi_compare import compare_all, compare_company

ROOT = Path(__file__).resolve().parents[2]
SEEDS = {"portal_az": 42, "portal_ge": 7}


@pytest.fixture(scope="module")
def two_portals(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`make run`'s nightly run (in its own process: connections are read when the
    definitions load) against two sandboxes configured in a connections file."""
    folder = tmp_path_factory.mktemp("two_portals")
    home = folder / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    with (
        sandbox_process("small", SEEDS["portal_az"]) as az,
        sandbox_process("small", SEEDS["portal_ge"]) as ge,
    ):
        (folder / "connections.yml").write_text(
            "connections:\n"
            f"  - {{name: portal_az, kind: hubspot, base_url: '{az.base_url}', token_env: AZ_TOKEN}}\n"
            f"  - {{name: portal_ge, kind: hubspot, base_url: '{ge.base_url}', token_env: GE_TOKEN}}\n"
        )
        env = {
            **os.environ,
            "CRM_CONNECTIONS_FILE": str(folder / "connections.yml"),
            "AZ_TOKEN": az.token,
            "GE_TOKEN": ge.token,
            "CRM_ACCESS_TOKEN": "",  # no default connection: the file says it all
            "CRM_MAX_REQUESTS_PER_10S": "10000",
            "WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
            "SERVING_PATH": str(folder / "serving.duckdb"),
            "DAGSTER_HOME": str(home),
        }
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.lib.runs"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    return folder / "warehouse.duckdb", done


def test_one_run_loads_both_portals(two_portals):
    warehouse, done = two_portals
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "loaded raw_portal_az/deals" in done.stdout
    assert "loaded raw_portal_ge/deals" in done.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        by_source = dict(
            con.execute("select crm_source, count(*) from core.fct_deals group by 1").fetchall()
        )
        reps = con.execute(
            "select count(*), count(distinct owner_id), count(distinct rep_key) from core.dim_reps"
        ).fetchone()
        served = duckdb.connect(str(warehouse.with_name("serving.duckdb")), read_only=True)
        served_sources = served.execute(
            "select distinct crm_source from marts.mart_rep_performance_monthly order by 1"
        ).fetchall()
        served.close()
    finally:
        con.close()
    orgs = {name: Organisation("small", seed) for name, seed in SEEDS.items()}
    assert set(by_source) == set(SEEDS)
    assert by_source["portal_az"] > 0 and by_source["portal_ge"] > 0
    # Both portals number their owners alike: one row per connection x owner, keys apart.
    n_reps = sum(len(org.reps) for org in orgs.values())
    assert reps == (n_reps, len(orgs["portal_az"].reps), n_reps)
    assert served_sources == [("portal_az",), ("portal_ge",)]


@pytest.mark.parametrize("crm_source", sorted(SEEDS))
def test_each_portals_marts_equal_its_ground_truth(two_portals, crm_source):
    warehouse, done = two_portals
    assert done.returncode == 0, done.stderr[-2000:]
    truth = Truth(Organisation("small", SEEDS[crm_source]))
    problems = compare_all(str(warehouse), truth, crm_source=crm_source)
    assert {mart: p[:5] for mart, p in problems.items() if p} == {}


def test_the_company_mart_is_both_portals_together(two_portals):
    warehouse, done = two_portals
    assert done.returncode == 0, done.stderr[-2000:]
    truths = [Truth(Organisation("small", seed)) for seed in SEEDS.values()]
    assert compare_company(str(warehouse), truths) == []
