"""A night after one simulated day of CRM changes reads only what changed, through search
windows that get past HubSpot's result cap, and leaves marts equal to the ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import httpx
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from ingestion.http import crm_session
from ingestion.hubspot.changes import ChangedRecords
from ingestion.hubspot.source import INCREMENTAL
from ingestion.sandbox.drift import add_custom_properties
from ingestion.sandbox.generator import Organisation, iso
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import point_pipeline_at
from ..kpi_compare import compare_all

SEED = 42
BAKU = ZoneInfo("Asia/Baku")


def test_search_windows_get_every_change_past_the_cap_with_a_tie_break():
    """500+ deals share one modified timestamp, the search cap is 300: the windows move
    past the cap and the tie-break pages that one timestamp by id."""
    before = Organisation("small", SEED)
    after = Organisation("small", SEED, days_later=1)
    stamped = set(add_custom_properties(after, SEED))  # all stamped at the new clock
    since = max(d.updated_at for d in before.objects["deals"].values())
    expected = {i for i, d in after.objects["deals"].items() if d.updated_at > since} | stamped
    assert len(stamped) > 500

    extra = ("--days-later", "1", "--custom-properties", "--search-cap", "300")
    with sandbox_process("small", SEED, extra_args=extra) as sb:
        client = RESTClient(
            sb.base_url + "/", auth=BearerTokenAuth(sb.token), session=crm_session(10_000)
        )
        changed = ChangedRecords(client, "deals", iso(since), after.now)
        ids = [i for page in changed.ids() for i in page]
        tie_breaks = changed.queries
    assert len(ids) == len(set(ids))  # each record once
    assert set(ids) == expected
    assert tie_breaks >= 4  # two windows, then the tie-break query (and its refusal)


def _loaded_by_last_run(path: str) -> dict[str, int]:
    """Rows each incremental raw table received from the newest load."""
    con = duckdb.connect(path, read_only=True)
    try:
        return {
            t: con.execute(
                f"select count(*) from raw_hubspot.{t} where _dlt_load_id = "
                "(select max(load_id) from raw_hubspot._dlt_loads)"
            ).fetchone()[0]
            for t in INCREMENTAL
        }
    finally:
        con.close()


def test_a_night_after_one_day_reads_only_the_changes(tmp_path, monkeypatch):
    day0 = Organisation("small", SEED)
    day1 = Organisation("small", SEED, days_later=1)
    with sandbox_process("small", SEED) as sb:
        point_pipeline_at(monkeypatch, sb, tmp_path)
        instance = dg.DagsterInstance.ephemeral()
        first = run_nightly_job(instance)
        assert first.success, first_failure(first)
        moved = httpx.post(
            f"{sb.base_url}/_sandbox/clock",
            json={"advance_days": 1},
            headers={"Authorization": f"Bearer {sb.token}"},
            timeout=120,
        )
        assert moved.json()["now"] == iso(day1.now)
        second = run_nightly_job(instance)
        assert second.success, first_failure(second)

    warehouse = str(tmp_path / "warehouse.duckdb")
    # The second night is for the CRM's last complete day, and reads from its start (00:00
    # in the reporting time zone) or from the first night's newest change if that is
    # earlier (read again: the search starts at the cursor, inclusive).
    crm_yesterday = day1.now.astimezone(BAKU).date() - timedelta(days=1)
    day_start = datetime.combine(crm_yesterday, datetime.min.time(), BAKU).astimezone(UTC)
    expected = {}
    for t in INCREMENTAL:
        cursor = max(r.updated_at for r in day0.objects[t].values())
        since = min(cursor, day_start)
        expected[t] = sum(1 for r in day1.objects[t].values() if r.updated_at >= since)
    assert _loaded_by_last_run(warehouse) == expected
    assert sum(expected.values()) < 0.01 * sum(len(day1.objects[t]) for t in INCREMENTAL)

    problems = compare_all(warehouse, Truth(day1))
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}
