"""PUBLISH_POSTGRES_* settings: each malformed kind stops with one ConfigError line naming
the variable and never the password; good values load; importing reads nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ingestion.settings import ConfigError
from orchestration.defs.publish_postgres import load_postgres_settings, publish_postgres
from orchestration.lib.errors import UserFacingError

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pa55/w:rd@x"  # unescaped: splits the URL where a careless parser would echo it


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("DSN", "SCHEMA", "READONLY_ROLE"):
        monkeypatch.delenv(f"PUBLISH_POSTGRES_{name}", raising=False)


def config_error(monkeypatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(f"PUBLISH_POSTGRES_{name.upper()}", value)
    with pytest.raises(ConfigError) as error:
        load_postgres_settings()
    message = str(error.value)
    assert "\n" not in message, message
    assert "pa55" not in message and "w:rd" not in message, message
    return message


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("host=db.example.com password=pa55/w:rd@x", "is not a PostgreSQL connection URL"),
        ("mysql://u:pa55/w:rd@x@db:3306/crm", "is not a PostgreSQL connection URL"),
        ("postgresql://u:pa55w:rd@db:notaport/crm", "port that is not a number from 1 to 65535"),
        ("postgresql://u:pa55w:rd@db:0/crm", "port that is not a number from 1 to 65535"),
        ("postgresql://u:pa55w:rd@db:70000/crm", "port that is not a number from 1 to 65535"),
        ("postgresql://u:pa55w:rd@db:-5/crm", "port that is not a number from 1 to 65535"),
        (f"postgresql://u:{PASSWORD}@db:5432/crm", "port that is not a number"),
        ("postgresql://u:pa55w:rd@:5432/crm", "names no host"),
        ("postgresql://u:pa55w:rd@db:5432", "names no database"),
        ("postgresql://u:pa55w:rd@db:5432/", "names no database"),
        ("postgresql://u:pa55w:rd@db/crm?colour=red", "is not a valid PostgreSQL connection"),
        ("postgresql://u:pa55%zzw:rd@db/crm", "is not a valid PostgreSQL connection"),
    ],
)
def test_malformed_dsn_is_one_line_without_the_password(monkeypatch, dsn, expected):
    message = config_error(monkeypatch, dsn=dsn)
    assert message.startswith("PUBLISH_POSTGRES_DSN ") and expected in message, message
    assert "postgresql://user:password@host:5432/database" in message


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ("", "is not a plain PostgreSQL name"),
        ("CRM-Marts", "is not a plain PostgreSQL name"),
        ("crm marts", "is not a plain PostgreSQL name"),
        ("1crm", "is not a plain PostgreSQL name"),
        ("x" * 56, "up to 55"),  # no room left for <schema>_staging in 63 characters
        ("pg_marts", "reserved by PostgreSQL"),
    ],
)
def test_malformed_schema(monkeypatch, schema, expected):
    message = config_error(
        monkeypatch, dsn=f"postgresql://u:{PASSWORD.replace('/', '%2F')}@db/crm", schema=schema
    )
    assert message.startswith(f"PUBLISH_POSTGRES_SCHEMA={schema!r}") and expected in message


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bi reader", "is not a plain PostgreSQL name"),
        ("BI_Reader", "is not a plain PostgreSQL name"),
        ("reader;drop", "is not a plain PostgreSQL name"),
        ("x" * 64, "up to 63"),
        ("public", "is reserved by PostgreSQL"),
        ("pg_read_all_data", "is reserved by PostgreSQL"),
    ],
)
def test_malformed_readonly_role(monkeypatch, role, expected):
    message = config_error(monkeypatch, readonly_role=role)
    assert message.startswith(f"PUBLISH_POSTGRES_READONLY_ROLE={role!r}")
    assert expected in message, message


def test_good_settings_load_and_hide_the_password(monkeypatch):
    monkeypatch.setenv(
        "PUBLISH_POSTGRES_DSN",
        " postgresql://loader:pa55%2Fw%3Ard@db.example.com:6543/bi?sslmode=require ",
    )
    monkeypatch.setenv("PUBLISH_POSTGRES_SCHEMA", "sales_marts")
    monkeypatch.setenv("PUBLISH_POSTGRES_READONLY_ROLE", "  ")
    config = load_postgres_settings()
    assert config.enabled and config.schema == "sales_marts" and config.readonly_role is None
    assert (config.target.host, config.target.port) == ("db.example.com", 6543)
    assert (config.target.database, config.target.user) == ("bi", "loader")
    assert "pa55" not in repr(config)


def test_defaults_and_off_without_dsn(monkeypatch):
    config = load_postgres_settings()
    assert not config.enabled and config.target is None
    assert (config.schema, config.readonly_role) == ("crm_marts", "bi_reader")
    # A default port, and settings read from .env like the pipeline's own
    Path(".env").write_text("PUBLISH_POSTGRES_DSN=postgres://loader:x@db/crm\n")
    config = load_postgres_settings()
    assert config.target.port == 5432 and config.target.database == "crm"


def test_importing_reads_no_setting():
    env = {**os.environ, "PUBLISH_POSTGRES_DSN": "postgresql://u:p@db:notaport/crm"}
    env["PUBLISH_POSTGRES_SCHEMA"] = "Not-A-Schema"
    code = "import orchestration.defs.publish_postgres, orchestration.publish.postgres"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_asset_fails_with_the_one_line(monkeypatch):
    monkeypatch.setenv("PUBLISH_POSTGRES_DSN", f"postgresql://u:{PASSWORD}@db:notaport/crm")
    with pytest.raises(UserFacingError) as error:
        publish_postgres(dg.build_asset_context())
    message = str(error.value)
    assert message.startswith("PUBLISH_POSTGRES_DSN has a port that is not a number")
    assert "\n" not in message and "pa55" not in message
