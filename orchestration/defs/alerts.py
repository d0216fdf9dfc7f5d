"""Alerts: a failed nightly run (a failed step or a failed audit) is reported through a
configurable hook: always one line (in the sensor's tick log and on stderr, so `make dev`
shows it), and a JSON POST to ALERT_WEBHOOK_URL when set (Slack/Teams incoming webhooks
accept the `text` field). The run is tagged `crm_warehouse/alert` (`sent`, `logged` or
`webhook failed`), so a run is alerted once even if the sensor sees it again."""

import logging
import os
import sys

import dagster as dg
import httpx

from orchestration.defs.jobs import nightly_job
from orchestration.lib.runs import step_failure_message

ALERT_TAG = "crm_warehouse/alert"


def failure_summary(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict:
    """The failed steps and failed checks of a run, with the first error line of each step."""
    steps: dict[str, str] = {}
    checks: list[str] = []
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.is_step_failure:
            steps[event.step_key] = (step_failure_message(event) or "failed")[:300]
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                checks.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "failed_steps": steps,
        "failed_checks": checks,
    }


def alert_text(summary: dict) -> str:
    parts = [f"CRM warehouse: run {summary['run_id'][:8]} of {summary['job']} failed"]
    if summary["failed_steps"]:
        parts.append(
            "failed steps: "
            + "; ".join(f"{step} ({msg})" for step, msg in summary["failed_steps"].items())
        )
    if summary["failed_checks"]:
        parts.append("failed checks: " + ", ".join(summary["failed_checks"]))
    return " | ".join(parts)


def _say(line: str, log: logging.Logger | None) -> None:
    if log is not None:
        log.error(line)
    print(line, file=sys.stderr, flush=True)


def send_alert(summary: dict, webhook_url: str | None, log: logging.Logger | None = None) -> str:
    """Logs the alert line, posts it when webhook_url is set; returns the outcome for the tag."""
    text = alert_text(summary)
    _say(text, log)
    if not webhook_url:
        return "logged"
    try:
        httpx.post(webhook_url, json={"text": text, **summary}, timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        # The URL may hold a secret: name only the failure, never the address.
        _say(f"alert webhook failed: {type(exc).__name__}", log)
        return "webhook failed"
    return "sent"


@dg.run_failure_sensor(
    name="nightly_failure_alert",
    # Not monitored_jobs=[nightly_job]: that matches only runs launched through this code
    # location, never the runs of `make run`, `make backfill` or `make demo` (in-process,
    # no code location), which the daemon then never alerted.
    monitor_all_code_locations=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts the failed steps and checks of a failed nightly run to "
    "ALERT_WEBHOOK_URL (and logs them).",
)
def nightly_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.instance.get_run_by_id(context.dagster_run.run_id) or context.dagster_run
    if run.job_name != nightly_job.name or ALERT_TAG in run.tags:
        return
    summary = failure_summary(context.instance, run)
    outcome = send_alert(summary, os.environ.get("ALERT_WEBHOOK_URL"), context.log)
    context.instance.add_run_tags(run.run_id, {ALERT_TAG: outcome})


defs = dg.Definitions(sensors=[nightly_failure_alert])
