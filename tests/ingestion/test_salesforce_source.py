"""The Salesforce dlt source against the sandbox: describe-typed columns with the org's
own fields, increments by SystemModstamp, deletes through queryAll, and field history that
stays in the warehouse after Salesforce stops serving it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import requests

from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.source import salesforce_source
from ingestion.sandbox.salesforce.runner import RunningSalesforce, salesforce_process
from ingestion.warehouse import crm_pipeline

from ..conftest import SEED


def _load(sb: RunningSalesforce, folder: Path, window=None) -> SalesforceClient:
    client = SalesforceClient(sb.base_url, sb.client_id, sb.client_secret, str(sb.ca_file))
    pipeline = crm_pipeline(
        str(folder / "warehouse.duckdb"), str(folder / "pipelines"), "salesforce", "raw_sf"
    )
    pipeline.run(salesforce_source(client, window=window), loader_file_format="parquet")
    return client


def _ids(client: SalesforceClient, soql: str, deleted: bool = False) -> set[str]:
    return {r["Id"] for page in client.query(soql, include_deleted=deleted) for r in page}


def _advance(sb: RunningSalesforce, client: SalesforceClient, days: int) -> None:
    requests.post(
        f"{sb.base_url}/_sandbox/clock",
        json={"advance_days": days},
        headers={"Authorization": f"Bearer {client.token}"},
        verify=str(sb.ca_file),
        timeout=300,
    ).raise_for_status()


def test_history_deletes_and_custom_fields_land_and_stay(tmp_path):
    args = ("--field-history-months", "3", "--delete-share", "0.02", "--custom-fields")
    with salesforce_process("small", SEED, extra_args=args) as sb:
        client = _load(sb, tmp_path)
        served = _ids(client, "SELECT Id FROM OpportunityFieldHistory")
        deleted = _ids(client, "SELECT Id FROM Opportunity WHERE IsDeleted = true", deleted=True)
        usage = client.usage.used
        _advance(sb, client, 110)  # months on: some of the first load's field history is gone
        client = _load(sb, tmp_path)
        now_served = _ids(client, "SELECT Id FROM OpportunityFieldHistory")
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        kept = {
            r[0] for r in con.execute("select id from raw_sf.opportunity_field_history").fetchall()
        }
        raw_deleted = {
            r[0]
            for r in con.execute("select id from raw_sf.opportunity where is_deleted").fetchall()
        }
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw_sf' and table_name = 'opportunity'"
            ).fetchall()
        )
        duplicates, total, second_load = con.execute(
            "select count(*) - count(distinct id), count(*), count(*) filter (where "
            "_dlt_load_id = (select max(_dlt_load_id) from raw_sf.opportunity)) "
            "from raw_sf.opportunity"
        ).fetchone()
    finally:
        con.close()
    assert deleted and deleted <= raw_deleted
    assert served - now_served, "the clock move should drop field history from the API"
    assert served | now_served <= kept  # nothing the API served is lost
    assert duplicates == 0  # the overlap re-reads rows, the merge keeps one per Id
    assert 0 < second_load < total  # the second load read what changed since the first
    assert usage > 0
    assert types["amount"].startswith("DECIMAL") and types["close_date"] == "DATE"
    assert types["system_modstamp"] == "TIMESTAMP WITH TIME ZONE"
    assert types["sales_region__c"] == "VARCHAR"


def test_a_window_rereads_the_changes_of_its_days(tmp_path):
    """A backfill's range: the rows changed since its first day are read again, the older
    ones not (a load without a window reads only what changed since the last one)."""
    with salesforce_process("small", SEED) as sb:
        clock = _load(sb, tmp_path).clock
        start = clock - timedelta(days=40)
        _load(sb, tmp_path, window=(start, clock))
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        by_load = con.execute(
            "select system_modstamp >= ?, _dlt_load_id = (select max(_dlt_load_id) from "
            "raw_sf.opportunity), count(*) from raw_sf.opportunity group by 1, 2 order by 1, 2",
            [start],
        ).fetchall()
    finally:
        con.close()
    assert [(recent, reread) for recent, reread, _ in by_load] == [(False, False), (True, True)]
