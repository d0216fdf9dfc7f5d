"""Operating it: transient failures retry by themselves, failures reach the alert hook,
stale data fails the freshness checks."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import duckdb
import httpx
import pytest

from ingestion.sandbox.runner import sandbox_process
from orchestration.definitions import defs
from orchestration.defs.alerts import failure_summary, nightly_failure_alert, send_alert
from orchestration.defs.transform import dbt_failure
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import SEED, NightlyRuns, audit_and_publish_job, auth, point_pipeline_at


class Receiver:
    """A local webhook receiver recording every JSON body posted to it."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_an_api_outage_is_retried_and_the_run_succeeds(tmp_path, monkeypatch):
    """The CRM answers 503 to its first two requests (the night's first check): the
    connector retries them with backoff inside the step, and the run completes without
    needing a step retry."""
    with sandbox_process("small", SEED, extra_args=("--faults", "outage=2")) as sb:
        point_pipeline_at(monkeypatch, sb, tmp_path)
        result = run_nightly_job(dg.DagsterInstance.ephemeral())
        stats = httpx.get(f"{sb.base_url}/_sandbox/faults", headers=auth(sb)).json()
    assert result.success, first_failure(result)
    assert stats["errors"] == 2, stats  # the outage happened
    retried = [e.step_key for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried == []


def test_a_bad_token_is_not_retried_and_reaches_the_alert_hook(crm_env, monkeypatch, receiver):
    monkeypatch.setenv("CRM_ACCESS_TOKEN", "wrong")
    instance = dg.DagsterInstance.ephemeral()
    result = run_nightly_job(instance)
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]

    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url)
    failure = next(
        entry.dagster_event
        for entry in instance.all_logs(result.run_id)
        if entry.dagster_event and entry.dagster_event.is_run_failure
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="nightly_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
    ).for_run_failure()
    nightly_failure_alert(context)
    [alert] = receiver.received
    assert alert["job"] == "nightly_warehouse" and alert["run_id"] == result.run_id
    assert "rejected the token" in alert["failed_steps"]["hubspot"]
    assert "hubspot" in alert["text"] and "CRM_ACCESS_TOKEN" in alert["text"]
    assert "wrong" not in json.dumps(alert)  # the token is never sent


def test_a_failed_audit_names_the_failed_check(
    nightly_runs: NightlyRuns, tmp_path, monkeypatch, receiver
):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(nightly_runs.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("update marts.mart_rep_performance_monthly set win_rate = 1.5")
    con.close()
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("SERVING_PATH", str(tmp_path / "serving.duckdb"))
    instance = dg.DagsterInstance.ephemeral()
    result = audit_and_publish_job().execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    summary = failure_summary(instance, instance.get_run_by_id(result.run_id))
    assert (
        "marts/mart_rep_performance_monthly:gx_mart_rep_performance_monthly"
        in (summary["failed_checks"])
    )
    send_alert(summary, receiver.url)
    assert "gx_mart_rep_performance_monthly" in receiver.received[0]["text"]


def _freshness(warehouse: str, monkeypatch) -> dict[str, dg.AssetCheckEvaluation]:
    monkeypatch.setenv("WAREHOUSE_PATH", warehouse)
    result = defs.resolve_job_def("freshness_checks").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    return {c.asset_key.to_user_string(): c for c in result.get_asset_check_evaluations()}


def test_freshness_checks_warn_after_26_hours_and_fail_after_50(
    nightly_runs: NightlyRuns, tmp_path, monkeypatch
):
    warehouse = str(tmp_path / "warehouse.duckdb")
    shutil.copy(nightly_runs.warehouse, warehouse)
    fresh = _freshness(warehouse, monkeypatch)
    assert {"raw_hubspot/deals", "raw_hubspot/calls", "marts/mart_rep_scorecard"} <= fresh.keys()
    assert all(c.passed for c in fresh.values()), {
        k: c.description for k, c in fresh.items() if not c.passed
    }
    # The CRM's clock moves on while nothing new is loaded: +30 h, then +30 h more.
    for severity in (dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR):
        con = duckdb.connect(warehouse)
        con.execute(
            "update raw_hubspot.extractions set crm_clock_at = crm_clock_at + ?",
            [timedelta(hours=30)],
        )
        con.close()
        stale = _freshness(warehouse, monkeypatch)
        assert stale.keys() == fresh.keys()
        for key, check in stale.items():
            assert not check.passed and check.severity == severity, key
            assert "h old" in check.description


def test_dbt_failures_retry_only_when_a_retry_can_help():
    def results(*rows):
        return {
            "results": [
                {"unique_id": f"test.crm.{n}", "status": s, "message": m} for n, s, m in rows
            ]
        }

    failed_test = dbt_failure(results(("not_null_fct_deals_id", "fail", "Got 3 results")))
    assert isinstance(failed_test, dg.Failure) and not failed_test.allow_retries
    assert "not_null_fct_deals_id" in str(failed_test)
    broken_sql = dbt_failure(results(("fct_deals", "error", "Binder Error: column x")))
    assert isinstance(broken_sql, dg.Failure) and not broken_sql.allow_retries
    locked = dbt_failure(results(("fct_deals", "error", "IO Error: Could not set lock on file")))
    assert not isinstance(locked, dg.Failure)  # an ordinary error: the step retries
