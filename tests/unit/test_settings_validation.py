"""Every malformed setting is one line naming the variable, read before anything starts:
numbers (not a number, infinite, out of bounds), dates, paths, URLs, time zones, currency
codes, the token, and settings that contradict each other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingestion.settings import ConfigError, load_settings

# Values a user can mistype, with the words the one line must hold (besides the name).
MALFORMED = [
    ("CRM_MAX_REQUESTS_PER_10S", "ten", "valid integer"),
    ("CRM_MAX_REQUESTS_PER_10S", "0", "greater than or equal to 1"),
    ("CRM_MAX_REQUESTS_PER_10S", "1.5", "valid integer"),
    ("CRM_REQUEST_TIMEOUT_SECONDS", "inf", "finite number"),
    ("CRM_REQUEST_TIMEOUT_SECONDS", "-1", "greater than 0"),
    ("CRM_REQUEST_TIMEOUT_SECONDS", "100000", "less than or equal to 600"),
    ("RETRY_DELAY_SECONDS", "inf", "finite number"),
    ("RETRY_DELAY_SECONDS", "nan", "finite number"),
    ("RETRY_DELAY_SECONDS", "-5", "greater than or equal to 0"),
    ("QUARANTINE_MAX_SHARE", "2", "less than or equal to 1"),
    ("QUARANTINE_MAX_SHARE", "nan", "finite number"),
    ("FRESHNESS_WARN_AFTER_HOURS", "soon", "valid number"),
    ("FRESHNESS_MAX_AGE_HOURS", "inf", "finite number"),
    ("FISCAL_YEAR_START_MONTH", "13", "less than or equal to 12"),
    ("HISTORY_START_DATE", "2024-13-01", "valid date"),
    ("HISTORY_START_DATE", "01/02/2024", "valid date"),
    ("HISTORY_START_DATE", "2999-01-01", "past day"),
    ("REPORTING_TIMEZONE", "Mars/Base", "unknown time zone"),
    ("HOME_CURRENCY", "manat", "currency code"),
    ("CRM_BASE_URL", "api.hubapi.com", "http(s) URL"),
    ("CRM_BASE_URL", "https://", "no host"),
    ("CRM_BASE_URL", "http://127.0.0.1:notaport", "not a valid URL"),
    ("ALERT_WEBHOOK_URL", "hooks.slack.com/services/x", "http(s) URL"),
    ("WAREHOUSE_PATH", "{missing}/warehouse.duckdb", "does not exist"),
    ("WAREHOUSE_PATH", "{file}/warehouse.duckdb", "is not a folder"),
    ("WAREHOUSE_PATH", "{tmp}", "is a folder"),
    ("SERVING_PATH", "{missing}/serving.duckdb", "does not exist"),
    ("DUCKDB_MEMORY_LIMIT", "lots", "not a memory size"),
    ("DUCKDB_MEMORY_LIMIT", "4", "not a memory size"),
    ("WAREHOUSE_ENGINE", "snowflake", "'duckdb' or 'spark'"),
    ("SPARK_MASTER_URL", "http://spark-master:7077", "not a Spark master URL"),
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """Only the settings a test sets; no `.env` from the project folder."""
    for key in list(os.environ):
        if key.startswith(
            ("CRM_", "WAREHOUSE_", "SERVING_", "RETRY_", "ALERT_", "HISTORY_", "DUCKDB_")
            + ("LAKE_", "SPARK_")
        ):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SERVING_PATH", str(tmp_path / "serving.duckdb"))
    return tmp_path


@pytest.mark.parametrize(("name", "value", "expected"), MALFORMED)
def test_a_malformed_setting_is_one_line_naming_it(clean_env, monkeypatch, name, value, expected):
    (clean_env / "a-file").write_text("")
    value = value.format(missing=clean_env / "nope", file=clean_env / "a-file", tmp=clean_env)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(name), message
    assert expected in message, message
    assert "\n" not in message


def test_settings_that_contradict_each_other(clean_env, monkeypatch):
    monkeypatch.setenv("FRESHNESS_WARN_AFTER_HOURS", "60")
    with pytest.raises(ConfigError, match="FRESHNESS_WARN_AFTER_HOURS is above"):
        load_settings()
    monkeypatch.delenv("FRESHNESS_WARN_AFTER_HOURS")
    monkeypatch.setenv("SERVING_PATH", os.environ["WAREHOUSE_PATH"])
    with pytest.raises(ConfigError, match="SERVING_PATH is the same file as WAREHOUSE_PATH"):
        load_settings()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_data_folder(clean_env, monkeypatch):
    folder = clean_env / "ro"
    folder.mkdir(mode=0o555)
    monkeypatch.setenv("WAREHOUSE_PATH", str(folder / "warehouse.duckdb"))
    with pytest.raises(ConfigError, match="is not writable"):
        load_settings()


def test_secrets_are_never_echoed(clean_env, monkeypatch):
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "ftp://hooks.example/T0/B0/s3cr3t")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "s3cr3t" not in str(raised.value)
    monkeypatch.delenv("ALERT_WEBHOOK_URL")
    monkeypatch.setenv("CRM_ACCESS_TOKEN", "pat-eu1 s3cr3t")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "s3cr3t" not in str(raised.value)
    assert str(raised.value).startswith("CRM_ACCESS_TOKEN: contains spaces")


def test_a_token_pasted_with_a_line_end_is_used_without_it(clean_env, monkeypatch):
    """A `.env` saved on Windows leaves `\\r` after the token; the CRM would reject it."""
    (clean_env / ".env").write_text("CRM_ACCESS_TOKEN=pat-eu1-abc\r\n")
    assert load_settings().token() == "pat-eu1-abc"


def test_the_environment_beats_dot_env(clean_env, monkeypatch):
    (clean_env / ".env").write_text("CRM_BASE_URL=http://from-dot-env:1\nHOME_CURRENCY=EUR\n")
    monkeypatch.setenv("CRM_BASE_URL", "http://from-environment:2")
    settings = load_settings()
    assert settings.crm_base_url == "http://from-environment:2"
    assert settings.home_currency == "EUR"


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        (
            "REPORTING_TIMEZONE",
            "Mars/Base",
            "error: REPORTING_TIMEZONE='Mars/Base': unknown time zone (use an IANA name, e.g. "
            "Asia/Baku)",
        ),
        (
            "PUBLISH_POSTGRES_DSN",
            "postgresql://loader:pw@db:notaport/bi",
            "error: PUBLISH_POSTGRES_DSN has a port that is not a number from 1 to 65535",
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["orchestration.demo"],
        ["orchestration.backfill", "--from", "2026-01-01", "--to", "2026-01-02"],
    ],
)
def test_commands_check_every_setting_before_starting(command, name, value, line):
    env = {**os.environ, name: value}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    [error] = proc.stderr.strip().splitlines()
    assert error.startswith(line), error
    assert "pw" not in error
    assert "sandbox" not in proc.stdout and "backfill" not in proc.stdout
    assert time.monotonic() - started < 60


def _sandbox_env(path: Path, pid: int) -> None:
    path.write_text(f"# pid {pid}\nCRM_BASE_URL=http://127.0.0.1:8765\nCRM_ACCESS_TOKEN=sb-tok\n")


def test_the_background_sandbox_is_used_when_no_crm_is_configured(clean_env, monkeypatch):
    """`make sandbox` writes data/sandbox.env; it counts only without a token of one's own,
    and only while its process lives."""
    import ingestion.settings as settings_module

    monkeypatch.delenv("CRM_ACCESS_TOKEN", raising=False)
    monkeypatch.setattr(settings_module.dlt.secrets, "get", lambda *a, **k: None)
    env_file = clean_env / "sandbox.env"
    monkeypatch.setattr(settings_module, "SANDBOX_ENV_FILE", env_file)
    # A process that looks like the sandbox to /proc (its command line names it).
    alive = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "ingestion.sandbox"]
    )
    _sandbox_env(env_file, alive.pid)
    try:
        settings = load_settings()
    finally:
        alive.kill()
        alive.wait()
    assert (settings.crm_base_url, settings.token()) == ("http://127.0.0.1:8765", "sb-tok")

    monkeypatch.setenv("CRM_ACCESS_TOKEN", "pat-own")  # a CRM of one's own wins entirely
    settings = load_settings()
    assert (settings.crm_base_url, settings.token()) == ("https://api.hubapi.com", "pat-own")

    monkeypatch.delenv("CRM_ACCESS_TOKEN")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _sandbox_env(env_file, dead.pid)  # the sandbox's process is gone
    with pytest.raises(ConfigError, match="start the bundled sandbox with `make sandbox`"):
        load_settings().token()


def test_the_benchmarks_settings_pass_the_checks(clean_env, monkeypatch):
    """`make bench` runs the nightly job with its own settings: they must pass the same
    checks as a user's (an unthrottled rate of 1,000,000 once failed them)."""
    from ingestion.sandbox.runner import RunningSandbox
    from orchestration.bench.nightly import nightly_env
    from orchestration.lib.config import check_all_settings

    sandbox = RunningSandbox("http://127.0.0.1:8765", "sandbox-token", "small", 42)
    for key, value in nightly_env(clean_env, sandbox).items():
        monkeypatch.setenv(key, value)
    assert check_all_settings().crm_max_requests_per_10s >= 100_000
