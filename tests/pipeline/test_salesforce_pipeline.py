"""A Salesforce org as a CRM connection, through the nightly run (`make run`): its marts
equal the Salesforce sandbox's ground truth (every KPI, small preset), and beside a HubSpot
portal in one run each connection's marts equal its own truth and the company mart both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.salesforce.truth import SalesforceTruth
from ingestion.sandbox.truth import Truth

from ..kpi_compare import compare_all, compare_company
from ..salesforce_runs import HS_SEED, SF_ARGS, SF_SEED, nightly_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def salesforce_only(tmp_path_factory):
    return nightly_run(tmp_path_factory.mktemp("salesforce"), hubspot=False)


@pytest.fixture(scope="module")
def salesforce_and_hubspot(tmp_path_factory):
    return nightly_run(tmp_path_factory.mktemp("mixed"), hubspot=True)


def sf_truth() -> SalesforceTruth:
    return SalesforceTruth(Organisation("small", SF_SEED))


def test_a_salesforce_org_loads_and_publishes(salesforce_only):
    warehouse, done = salesforce_only
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "loaded raw_sf_org/opportunity" in done.stdout
    served = duckdb.connect(str(warehouse.with_name("serving.duckdb")), read_only=True)
    try:
        sources = served.execute(
            "select distinct crm_source from marts.mart_rep_performance_monthly"
        ).fetchall()
        reps = served.execute("select count(*) from core.dim_reps").fetchone()[0]
    finally:
        served.close()
    assert sources == [("sf_org",)]
    assert reps == len(Organisation("small", SF_SEED).reps)


def test_salesforce_marts_equal_the_ground_truth(salesforce_only):
    warehouse, done = salesforce_only
    assert done.returncode == 0, done.stderr[-2000:]
    problems = compare_all(str(warehouse), sf_truth())
    assert {mart: p[:5] for mart, p in problems.items() if p} == {}


def test_salesforce_and_hubspot_each_equal_their_truth(salesforce_and_hubspot):
    warehouse, done = salesforce_and_hubspot
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    truths = {"sf_org": sf_truth(), "portal": Truth(Organisation("small", HS_SEED))}
    for name, truth in truths.items():
        problems = compare_all(str(warehouse), truth, crm_source=name)
        assert {mart: p[:5] for mart, p in problems.items() if p} == {}, name
    assert compare_company(str(warehouse), list(truths.values())) == []


def test_an_org_without_multiple_currencies_or_surveys(tmp_path):
    """Most orgs have one currency (no CurrencyIsoCode, no CurrencyType) and many no
    Feedback Management: the run reads what the org has, and the marts equal its truth
    (amounts in the one currency, no CSAT or NPS)."""
    args = (*SF_ARGS, "--single-currency", "--no-feedback-management")
    warehouse, done = nightly_run(tmp_path, hubspot=False, sf_args=args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    truth = SalesforceTruth(Organisation("small", SF_SEED), feedback_management=False)
    problems = compare_all(str(warehouse), truth)
    assert {mart: p[:5] for mart, p in problems.items() if p} == {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {
            t for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_sf_org'"
            ).fetchall()
        }  # fmt: skip
    finally:
        con.close()
    assert "opportunity" in tables and not {"currency_type", "survey_question_response"} & tables


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (
            {"SF_SECRET": "not-the-secret"},
            "refused the client secret: check the connection's client secret",
        ),
        ({"SF_ID": "unknown-app"}, "does not know the client id: check the connection's client id"),
        (
            {"SF_URL": "https://127.0.0.1:9"},
            "could not connect to the Salesforce login URL https://127.0.0.1:9",
        ),
    ],
)
def test_a_wrong_salesforce_setting_is_one_line_naming_it(tmp_path, overrides, says):
    warehouse, done = nightly_run(tmp_path, hubspot=False, env_overrides=overrides)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and says in errors[0], done.stderr[-2000:]
    assert overrides.get("SF_SECRET", "not-the-secret") not in done.stdout + done.stderr
    assert not warehouse.with_name("serving.duckdb").exists()


def test_the_demo_reads_both_crms_at_once(tmp_path):
    """`make demo CRM=both`: a HubSpot and a Salesforce sandbox, one run, both published."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "SERVING_PATH": str(tmp_path / "serving.duckdb"),
        "DAGSTER_HOME": str(home),
    }
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.demo", "--crm", "both"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "sandbox serving HubSpot API v3" in done.stdout
    assert "sandbox serving the Salesforce REST API" in done.stdout
    assert (
        "client_secret_env: DEMO_SF_CLIENT_SECRET"
        in (tmp_path / "demo-connections.yml").read_text()
    )
    served = duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True)
    try:
        sources = served.execute(
            "select distinct crm_source from marts.mart_rep_performance_monthly order by 1"
        ).fetchall()
    finally:
        served.close()
    assert sources == [("hubspot",), ("salesforce",)]
