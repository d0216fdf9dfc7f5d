"""A failed nightly run is alerted exactly once: one POST, one line, one tag on the run."""

from __future__ import annotations

import json

import dagster as dg
from dagster._core.definitions.run_status_sensor_definition import RunStatusSensorCursor

from orchestration.defs.alerts import ALERT_TAG, nightly_failure_alert
from orchestration.lib.runs import run_nightly_job

from .test_operations import Receiver


def _evaluate(instance: dg.DagsterInstance, cursor: str) -> str | None:
    """One tick of the sensor as the daemon runs it; returns the cursor it leaves."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    nightly_failure_alert.evaluate_tick(context)
    return context.cursor


def test_a_failed_run_is_alerted_once_with_a_line_and_a_tag(crm_env, monkeypatch, capfd):
    monkeypatch.setenv("CRM_ACCESS_TOKEN", "wrong")
    instance = dg.DagsterInstance.ephemeral()
    # The cursor of a sensor that started before the run (the daemon's first tick).
    before = RunStatusSensorCursor(record_id=-1, record_timestamp=None).to_json()
    result = run_nightly_job(instance)
    assert not result.success
    capfd.readouterr()

    receiver = Receiver()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", receiver.url)
    try:
        after = _evaluate(instance, before)
        _evaluate(instance, after)  # the next tick: nothing new
        _evaluate(instance, before)  # a tick that sees the run again (cursor lost)
    finally:
        receiver.close()

    [alert] = receiver.received
    assert alert["run_id"] == result.run_id
    assert "rejected the token" in alert["failed_steps"]["hubspot"]
    assert "wrong" not in json.dumps(alert)
    lines = [line for line in capfd.readouterr().err.splitlines() if "CRM warehouse: run" in line]
    # once on stderr as is, once through the sensor's logger (its tick log)
    assert [line for line in lines if line == alert["text"]] == [alert["text"]]
    assert len([line for line in lines if line.endswith(f"ERROR - {alert['text']}")]) == 1
    assert len(lines) == 2
    assert instance.get_run_by_id(result.run_id).tags[ALERT_TAG] == "sent"


def test_without_a_webhook_the_run_is_tagged_logged(crm_env, monkeypatch, capfd):
    monkeypatch.setenv("CRM_ACCESS_TOKEN", "wrong")
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)
    instance = dg.DagsterInstance.ephemeral()
    before = RunStatusSensorCursor(record_id=-1, record_timestamp=None).to_json()
    result = run_nightly_job(instance)
    capfd.readouterr()
    _evaluate(instance, before)
    err = capfd.readouterr().err
    assert f"CRM warehouse: run {result.run_id[:8]} of nightly_warehouse failed" in err
    assert "CRM_ACCESS_TOKEN" in err and "wrong" not in err
    assert instance.get_run_by_id(result.run_id).tags[ALERT_TAG] == "logged"
