"""The Salesforce connection under the API's faults and limits: 5xx answers, dropped
connections, slow answers and an outage each load the same raw records as a fault-free
load; the marts under faults equal the ground truth; the daily allocation stops a run with
one line and publishes nothing; deleted and merged records reach the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import requests

from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.source import OBJECTS, salesforce_source, table_name
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.salesforce.runner import RunningSalesforce, salesforce_process
from ingestion.sandbox.salesforce.truth import SalesforceTruth
from ingestion.warehouse import crm_pipeline

from ..kpi_compare import compare_all
from ..salesforce_runs import SF_ARGS, SF_SEED, nightly_run


def _client(sb: RunningSalesforce, timeout: float = 30.0) -> SalesforceClient:
    return SalesforceClient(
        sb.base_url, sb.client_id, sb.client_secret, str(sb.ca_file), timeout=timeout
    )


def _extract(sb: RunningSalesforce, folder: Path, timeout: float = 30.0) -> SalesforceClient:
    client = _client(sb, timeout)
    pipeline = crm_pipeline(str(folder / "raw.duckdb"), str(folder / ".dlt"), "sf", "raw_sf")
    pipeline.run(salesforce_source(client), loader_file_format="parquet")
    return client


def raw_records(folder: Path) -> dict[str, set[tuple]]:
    """Every (Id, stamp) of every object: two loads hold the same records."""
    con = duckdb.connect(str(folder / "raw.duckdb"), read_only=True)
    try:
        out = {}
        for name in OBJECTS:
            table = table_name(name)
            columns = {c[0] for c in con.execute(f"describe raw_sf.{table}").fetchall()}
            stamp = "system_modstamp" if "system_modstamp" in columns else "created_date"
            out[table] = set(
                con.execute(f"select id, cast({stamp} as varchar) from raw_sf.{table}").fetchall()
            )
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def clean_raw(tmp_path_factory) -> dict[str, set[tuple]]:
    folder = tmp_path_factory.mktemp("clean")
    with salesforce_process("small", SF_SEED) as sb:
        _extract(sb, folder)
    return raw_records(folder)


SCENARIOS = {
    "5xx_and_dropped_connections": ("error_rate=0.1,drop_rate=0.05,seed=3", ("errors", "dropped")),
    "slow_answers_and_timeouts": ("slow_rate=0.1,slow_seconds=2,seed=4", ("slow",)),
    "an_outage": ("outage=4", ("errors",)),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_raw_load_under_faults_equals_the_fault_free_load(scenario, clean_raw, tmp_path):
    faults, injected = SCENARIOS[scenario]
    with salesforce_process("small", SF_SEED, extra_args=("--faults", faults)) as sb:
        client = _extract(sb, tmp_path, timeout=1.0)
        stats = requests.get(
            f"{sb.base_url}/_sandbox/faults",
            headers={"Authorization": f"Bearer {client.token}"},
            verify=str(sb.ca_file),
            timeout=30,
        ).json()
    assert all(stats[kind] > 0 for kind in injected), stats
    assert raw_records(tmp_path) == clean_raw


def test_marts_under_faults_equal_the_ground_truth(tmp_path):
    faults = ("--faults", "error_rate=0.05,drop_rate=0.03,seed=9")
    warehouse, done = nightly_run(tmp_path, hubspot=False, sf_args=(*SF_ARGS, *faults))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    problems = compare_all(str(warehouse), SalesforceTruth(Organisation("small", SF_SEED)))
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}


def test_the_daily_allocation_stops_the_run_with_one_line(tmp_path):
    """An org with 30 calls a day and the default reserve of 1,000: the run stops before
    using any of the calls the org's other integrations need."""
    warehouse, done = nightly_run(tmp_path, hubspot=False, sf_args=("--daily-limit", "30"))
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, done.stderr
    assert "daily API allocation is nearly used" in lines[0]
    assert "lower the connection's API reserve" in lines[0]
    assert not warehouse.with_name("serving.duckdb").exists()


def test_deleted_and_merged_records_reach_the_marts(tmp_path):
    """Users delete 6% of opportunities, leads and activities and merge 3% of accounts and
    leads, some before night 1 and some in the 30 days before night 2: night 2 reads the
    later ones by their stamp, and every one has left the facts; the opportunities of a
    merged account belong to the surviving one."""
    changes = (*SF_ARGS, "--delete-share", "0.06", "--merge-share", "0.03")
    folder = tmp_path / "nights"
    _, done = nightly_run(folder, hubspot=False, sf_args=changes)
    assert done.returncode == 0, done.stderr[-2000:]
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    night1 = con.execute("select max(system_modstamp) from raw_sf_org.opportunity").fetchone()[0]
    con.close()
    later = (*changes, "--days-later", "30")
    warehouse, done = nightly_run(folder, hubspot=False, sf_args=later, reuse=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        deleted = dict(
            con.execute(
                "select id, system_modstamp from raw_sf_org.opportunity where is_deleted"
            ).fetchall()
        )
        merged = dict(
            con.execute(
                "select id, master_record_id from raw_sf_org.account "
                "where is_deleted and master_record_id is not null"
            ).fetchall()
        )
        deals = dict(con.execute("select deal_id, company_id from core.fct_deals").fetchall())
        leads = {r[0] for r in con.execute("select contact_id from core.fct_leads").fetchall()}
        gone_leads = {
            r[0] for r in con.execute("select id from raw_sf_org.lead where is_deleted").fetchall()
        }
        # the pipeline they were in until then: each deleted one ends with its removal
        removed = {
            r[0]
            for r in con.execute(
                "select deal_id from intermediate.int_deal_state_changes where is_removed"
            ).fetchall()
        }
        waterfall_deleted = con.execute(
            "select sum(deleted_deals) from marts.mart_pipeline_waterfall "
            "where aggregation_level = 'company' and period_type = 'month'"
        ).fetchone()[0]
    finally:
        con.close()
    assert removed == set(deleted)
    assert waterfall_deleted > 0
    assert merged and gone_leads
    assert any(at > night1 for at in deleted.values()), "no deletion between the nights"
    assert not set(deleted) & set(deals)
    assert not gone_leads & leads
    assert not set(merged) & set(deals.values())  # no opportunity left on a merged account
    assert set(merged.values()) & set(deals.values())
