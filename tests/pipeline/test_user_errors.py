"""Mistakes a user can make end in one line naming the fix, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from ingestion.sandbox.runner import free_port
from orchestration.lib.runs import first_failure, run_nightly_job


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["orchestration.demo", "ingestion.sandbox"])
def test_unknown_preset_is_one_line(module):
    proc = _run_cli("-m", module, "--preset", "gigantic")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unknown sandbox preset 'gigantic'" in lines[0] and "small" in lines[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"CRM_ACCESS_TOKEN": "wrong"},
            "set CRM_ACCESS_TOKEN to a valid HubSpot private app token",
        ),
        ({"CRM_ACCESS_TOKEN": ""}, "CRM_ACCESS_TOKEN is not set"),
        ({"CRM_BASE_URL": "http://127.0.0.1:{port}"}, "check CRM_BASE_URL"),
        ({"CRM_BASE_URL": "ftp://example"}, "CRM_BASE_URL"),
        ({"REPORTING_TIMEZONE": "Mars/Olympus"}, "REPORTING_TIMEZONE"),
        ({"RETRY_DELAY_SECONDS": "inf"}, "RETRY_DELAY_SECONDS='inf': input should be a finite"),
        # Checked by the first step too, before any request: not after the whole night.
        (
            {"PUBLISH_POSTGRES_DSN": "postgresql://u:pw@db:notaport/bi"},
            "hubspot: PUBLISH_POSTGRES_DSN",
        ),
    ],
)
def test_bad_configuration_fails_the_run_with_one_clear_line(crm_env, monkeypatch, env, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(port=free_port()))
    result = run_nightly_job(dg.DagsterInstance.ephemeral())
    assert not result.success
    message = first_failure(result)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_token_can_come_from_dlt_secrets(tmp_path):
    """dlt reads `.dlt/secrets.toml` from the working directory (a fresh process here)."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[sources.hubspot]\naccess_token = "pat-from-dlt"\n'
    )
    code = (
        "from ingestion.settings import Settings; s = Settings(); "
        "print(s.token()); print('pat-from-dlt' in repr(s))"
    )
    env = {**os.environ, "CRM_ACCESS_TOKEN": ""}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.split() == ["pat-from-dlt", "False"], proc.stderr
