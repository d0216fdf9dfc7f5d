"""Extraction survives the real API's behaviour: rate limits (with and without
Retry-After), 5xx answers, slow answers and timeouts, dropped connections; the daily cap
stops the run with one clear line; the client-side limiter never exceeds its rate."""

from __future__ import annotations

import dagster as dg
import duckdb
import httpx
import pytest

from ingestion.http import RollingWindowLimiter
from ingestion.hubspot.source import hubspot_pipeline, hubspot_source
from ingestion.sandbox.drift import add_custom_properties, archive_records
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import SEED, point_pipeline_at, raw_content, sales_regions
from ..kpi_compare import compare_all, compare_waterfall


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_limiter_never_exceeds_its_rate_and_uses_it_fully():
    clock = FakeClock()
    limiter = RollingWindowLimiter(10, window=10.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(95):
        slot = limiter.acquire()
        starts.append(clock.now)
        clock.now += 0.01  # each request takes 10 ms
        limiter.done(slot)
    for s in starts:
        assert sum(1 for t in starts if s <= t < s + 10.0) <= 10
    # 95 requests at 10 per 10 s need about 90 s: the limit is used, not wasted.
    assert starts[-1] <= 90.0 + 1.0
    assert 95 / (starts[-1] + 10.0) >= 0.9 * (10 / 10.0)


def test_limiter_counts_a_request_until_its_answer():
    """A request may reach the server any time before its answer (a busy client, a slow
    connection): it holds its slot until answered, then for a whole window."""
    clock = FakeClock()
    limiter = RollingWindowLimiter(2, window=10.0, clock=clock, sleep=clock.sleep)
    first, second = limiter.acquire(), limiter.acquire()
    clock.now = 5.0
    limiter.done(first)
    clock.now = 30.0  # the first's window is over; the second is still in flight
    limiter.acquire()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now >= 40.0 and second[0] == float("inf"):
            limiter.done(second)  # answered at 40

    limiter.sleep = sleep
    limiter.acquire()  # both slots held: waits for the second's answer, then a window
    assert clock.now >= 50.0


def _extract(base_url: str, token: str, path, timeout: float = 30.0) -> None:
    pipeline = hubspot_pipeline(str(path), str(path.parent / ".dlt"))
    source = hubspot_source(base_url, token, max_requests_per_10s=10_000, request_timeout=timeout)
    pipeline.run(source, loader_file_format="parquet")


@pytest.fixture(scope="module")
def clean_raw(sandbox, tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "raw.duckdb"
    _extract(sandbox.base_url, sandbox.token, path)
    return raw_content(path)


SCENARIOS = {
    # rate limits: the server allows 20 requests per 1 s window; the client sends faster
    "rate_limit_with_retry_after": "rate_limit=20,rate_window=1,retry_after=1,seed=1",
    "rate_limit_without_retry_after": "rate_limit=20,rate_window=1,retry_after=0,seed=2",
    "5xx_and_dropped_connections": "error_rate=0.05,drop_rate=0.03,seed=3",
    "slow_answers_and_timeouts": "slow_rate=0.02,slow_seconds=2,seed=4",
}
EXPECTED_FAULT = {
    "rate_limit_with_retry_after": "rate_limited",
    "rate_limit_without_retry_after": "rate_limited",
    "5xx_and_dropped_connections": "dropped",
    "slow_answers_and_timeouts": "slow",
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_raw_load_under_faults_equals_the_fault_free_load(scenario, clean_raw, tmp_path):
    extra = ("--faults", SCENARIOS[scenario])
    with sandbox_process("small", SEED, extra_args=extra) as sb:
        _extract(sb.base_url, sb.token, tmp_path / "raw.duckdb", timeout=1.0)
        stats = httpx.get(
            f"{sb.base_url}/_sandbox/faults", headers={"Authorization": f"Bearer {sb.token}"}
        ).json()
    assert stats[EXPECTED_FAULT[scenario]] > 0, stats
    assert raw_content(tmp_path / "raw.duckdb") == clean_raw


def test_marts_under_faults_equal_the_ground_truth(tmp_path, monkeypatch):
    extra = ("--faults", "error_rate=0.03,drop_rate=0.02,seed=9")
    with sandbox_process("small", SEED, extra_args=extra) as sb:
        point_pipeline_at(monkeypatch, sb, tmp_path)
        result = run_nightly_job(dg.DagsterInstance.ephemeral())
    assert result.success, first_failure(result)
    problems = compare_all(str(tmp_path / "warehouse.duckdb"), Truth(Organisation("small", SEED)))
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}


def test_daily_cap_stops_the_run_with_one_line(tmp_path, monkeypatch):
    with sandbox_process("small", SEED, extra_args=("--faults", "daily_limit=25")) as sb:
        point_pipeline_at(monkeypatch, sb, tmp_path)
        result = run_nightly_job(dg.DagsterInstance.ephemeral())
    assert not result.success
    message = first_failure(result)
    assert "daily API request limit is used up" in message and "\n" not in message
    assert not (tmp_path / "serving.duckdb").exists()


def test_new_custom_properties_land_as_columns_and_marts_stay_right(tmp_path, monkeypatch):
    """Night 1 without, night 2 with two new custom deal properties: the run succeeds,
    the new columns appear with the values, and the marts still equal the ground truth."""
    for extra in ((), ("--custom-properties",)):
        with sandbox_process("small", SEED, extra_args=extra) as sb:
            point_pipeline_at(monkeypatch, sb, tmp_path)
            result = run_nightly_job(dg.DagsterInstance.ephemeral())
        assert result.success, first_failure(result)
    org = Organisation("small", SEED)
    changed = set(add_custom_properties(org, SEED))
    rows = sales_regions(tmp_path / "warehouse.duckdb")
    assert set(rows) == changed
    assert all(rows[i] == org.objects["deals"][i].properties["sales_region"] for i in changed)
    problems = compare_all(str(tmp_path / "warehouse.duckdb"), Truth(Organisation("small", SEED)))
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}


def test_deleted_records_leave_the_marts(tmp_path, monkeypatch):
    """Night 1 loads everything; before night 2, 2% of deals, engagements and contacts are
    deleted (archived) in the CRM: night 2 flags them in raw and they leave every fact."""
    for extra in ((), ("--archive-share", "0.02")):
        with sandbox_process("small", SEED, extra_args=extra) as sb:
            point_pipeline_at(monkeypatch, sb, tmp_path)
            result = run_nightly_job(dg.DagsterInstance.ephemeral())
        assert result.success, first_failure(result)
    archived = archive_records(Organisation("small", SEED), SEED, 0.02)
    assert archived["deals"] and archived["calls"]
    facts = {
        "deals": "select deal_id from core.fct_deals",
        "calls": "select activity_id from core.fct_activities where activity_type = 'call'",
        "contacts": "select contact_id from core.fct_leads",
    }
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        for object_type, sql in facts.items():
            present = {r[0] for r in con.execute(sql).fetchall()}
            flagged = {
                r[0]
                for r in con.execute(
                    f"select id from raw_hubspot.{object_type} where archived"
                ).fetchall()
            }
            assert flagged == set(archived[object_type]), object_type
            assert not present & flagged, object_type
            total = len(Organisation("small", SEED).objects[object_type])
            assert len(present) == total - len(flagged), object_type
        quarantined = con.execute("select count(*) from quarantine.quarantined_records").fetchone()
        # The pipeline they were in until then: each leaves it as deleted.
        org = Organisation("small", SEED)
        archive_records(org, SEED, 0.02)
        assert compare_waterfall(con, Truth(org)) == []
        deleted = con.execute(
            "select sum(deleted_deals) from marts.mart_pipeline_waterfall "
            "where aggregation_level = 'company' and period_type = 'month'"
        ).fetchone()[0]
    finally:
        con.close()
    assert quarantined == (0,)
    assert deleted > 0
