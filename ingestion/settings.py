"""One settings object for the whole pipeline, read from the environment or `.env`.

The environment comes first, then `.env` in the working folder, then (only when no CRM
token is configured anywhere) `data/sandbox.env`, which `make sandbox` writes for the
bundled sandbox it keeps running in the background.

Every setting is checked when it is read, before anything starts: numbers are finite and
within bounds, URLs are http(s) with a host, paths point into folders that exist and can be
written. A wrong value is one line naming the variable, its value (never a secret's) and
what it should be.

Secrets (the CRM token) come only from the environment, a gitignored `.env` or dlt's
`.dlt/secrets.toml`, and are held as SecretStr so they never appear in logs or reprs.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dlt
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
# Written by `make sandbox` (ingestion/sandbox/background.py): CRM_BASE_URL and
# CRM_ACCESS_TOKEN of the sandbox it keeps running, and a `# pid N` line.
SANDBOX_ENV_FILE = DEFAULT_DATA_DIR / "sandbox.env"
SECRET_SETTINGS = {"CRM_ACCESS_TOKEN", "ALERT_WEBHOOK_URL"}
# DuckDB's memory per process (DuckDB's own default is 80 % of the machine's memory): a
# query that needs more spills to disk beside the database instead.
DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def duckdb_config(memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> dict[str, str]:
    """The configuration every DuckDB connection of the pipeline opens with."""
    return {"memory_limit": memory_limit}


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable to fix."""


def http_url_problem(value: str) -> str | None:
    """Why `value` is not a usable http(s) URL, or None."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "not an http(s) URL (it should start with https:// or http://)"
    if not parts.hostname:
        return "has no host name"
    return None


def _folder_problem(path: Path, create_default: bool) -> str | None:
    """Why files cannot be written beside `path`, or None."""
    folder = path.parent
    if path.exists() and path.is_dir():
        return "is a folder: give the path of a file in it"
    if not folder.exists():
        if create_default and folder == DEFAULT_DATA_DIR:
            return None  # the project's own data/ folder is made on first use
        return (
            f"its folder {folder} does not exist: create it (a first run into a new "
            "warehouse loads the whole CRM history) or fix the path"
        )
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is not writable"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    crm_base_url: str = Field(
        "https://api.hubapi.com", description="Base URL of the HubSpot API (or the sandbox)"
    )
    crm_access_token: SecretStr | None = Field(None, description="HubSpot private app token")
    # Several CRM connections (ingestion/connections.py); unset: one, from the two above.
    crm_connections_file: Path | None = None
    # Reps of different connections with the same e-mail address are one person.
    merge_reps_by_email: bool = True
    # HubSpot allows 100 (Starter) to 190 (Professional/Enterprise) requests per 10 s per app;
    # the sandbox is not limited (the demo and the tests go faster).
    crm_max_requests_per_10s: int = Field(100, ge=1, le=100_000)
    crm_request_timeout_seconds: float = Field(30, gt=0, le=600, allow_inf_nan=False)
    warehouse_path: Path = Field(DEFAULT_DATA_DIR / "warehouse.duckdb")
    serving_path: Path = Field(DEFAULT_DATA_DIR / "serving.duckdb")
    home_currency: str = "AZN"
    reporting_timezone: str = "Asia/Baku"
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    # Publish is blocked when more than this share of one object type's records is quarantined.
    quarantine_max_share: float = Field(0.02, ge=0, le=1, allow_inf_nan=False)
    # Freshness: hours from the newest CRM change loaded to the CRM's clock now; a warning
    # after the first, a failure after the second.
    freshness_warn_after_hours: float = Field(26, gt=0, le=24 * 366, allow_inf_nan=False)
    freshness_max_age_hours: float = Field(50, gt=0, le=24 * 366, allow_inf_nan=False)
    # First daily partition (reporting time zone) shown in Dagster and open to backfills.
    history_start_date: date = date(2024, 1, 1)
    # First wait before a failed step is retried (see orchestration/defs/jobs.py).
    retry_delay_seconds: float = Field(10, ge=0, le=3600, allow_inf_nan=False)
    # Where a failed nightly run is posted (orchestration/defs/alerts.py); may hold a secret.
    alert_webhook_url: SecretStr | None = None
    # The most memory DuckDB takes in each process that opens the warehouse (dlt's load, dbt,
    # the checks, the publish), e.g. 4GB or 512MB.
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # The engine that builds the models: duckdb (one file on this machine) or spark (raw
    # tables as parquet in LAKE_PATH, the models built on the Spark cluster SPARK_MASTER_URL;
    # the checks, reports and publish then read the marts copied into WAREHOUSE_PATH).
    warehouse_engine: Literal["duckdb", "spark"] = "duckdb"
    # WAREHOUSE_ENGINE=spark: the lake folder (dlt's parquet files per raw schema, the Spark
    # tables in warehouse/, their metastore) and the master (spark://host:7077, local[N]).
    lake_path: Path = Field(DEFAULT_DATA_DIR / "lake")
    spark_master_url: str = "local[2]"

    @field_validator("warehouse_engine", mode="before")
    @classmethod
    def _engine_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("spark_master_url")
    @classmethod
    def _master_url(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"local(\[(\d+|\*)\])?|(spark|k8s|mesos)://\S+|yarn", value):
            raise ValueError(
                "not a Spark master URL (spark://host:7077, local[2], yarn or k8s://...)"
            )
        return value

    @field_validator("reporting_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone (use an IANA name, e.g. Asia/Baku)") from exc
        return value

    @field_validator("crm_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        problem = http_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value.rstrip("/")

    @field_validator("crm_access_token")
    @classmethod
    def _clean_token(cls, value: SecretStr | None) -> SecretStr | None:
        # A token pasted with a newline or a Windows line end (`\r`) would be sent as is and
        # rejected by the CRM: surrounding whitespace is dropped, anything else refused.
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if re.search(r"[\s\x00-\x1f\x7f]", token):
            raise ValueError("contains spaces or control characters: paste the token alone")
        return SecretStr(token)

    @field_validator("alert_webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        problem = http_url_problem(value.get_secret_value().strip())
        if problem:
            raise ValueError(problem)
        return SecretStr(value.get_secret_value().strip())

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        value = value.strip()
        if not MEMORY_SIZE.fullmatch(value):
            raise ValueError("not a memory size (a number and a unit, e.g. 4GB or 512MB)")
        return value

    def duckdb_config(self) -> dict[str, str]:
        return duckdb_config(self.duckdb_memory_limit)

    @field_validator("home_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("not an ISO 4217 currency code (three capital letters, e.g. AZN)")
        return value

    @field_validator("crm_connections_file", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("history_start_date")
    @classmethod
    def _past_date(cls, value: date) -> date:
        if not date(2000, 1, 1) <= value <= datetime.now(UTC).date():
            raise ValueError("should be a past day, from 2000-01-01 (YYYY-MM-DD)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.freshness_warn_after_hours > self.freshness_max_age_hours:
            raise ValueError(
                "FRESHNESS_WARN_AFTER_HOURS is above FRESHNESS_MAX_AGE_HOURS: the warning "
                "must come before the failure"
            )
        for name in ("warehouse_path", "serving_path"):
            path: Path = getattr(self, name)
            problem = _folder_problem(path, create_default=True)
            if problem:
                raise ValueError(f"{name.upper()}={path}: {problem}")
        lake = self.lake_path
        if self.warehouse_engine == "spark" and lake.exists() and not lake.is_dir():
            raise ValueError(f"LAKE_PATH={lake}: is a file, not a folder")
        if self.warehouse_engine == "spark" and not (
            lake.exists() or lake.parent.is_dir() or lake.parent == DEFAULT_DATA_DIR
        ):
            raise ValueError(f"LAKE_PATH={lake}: its folder {lake.parent} does not exist")
        if self.warehouse_path.resolve() == self.serving_path.resolve():
            raise ValueError(
                "SERVING_PATH is the same file as WAREHOUSE_PATH: BI must read its own copy"
            )
        return self

    @cached_property
    def dlt_pipelines_dir(self) -> Path:
        """dlt's local state lives beside the warehouse it describes (one per engine: their
        destinations differ)."""
        suffix = "_spark" if self.warehouse_engine == "spark" else ""
        return self.warehouse_path.parent / f".dlt_pipelines{suffix}"

    def token(self) -> str:
        """The CRM token from CRM_ACCESS_TOKEN, else dlt's `.dlt/secrets.toml`
        (`[sources.hubspot] access_token = "..."`)."""
        if self.crm_access_token is not None and self.crm_access_token.get_secret_value():
            return self.crm_access_token.get_secret_value()
        from_dlt = dlt.secrets.get("sources.hubspot.access_token")
        if from_dlt:
            return str(from_dlt).strip()
        raise ConfigError(
            "CRM_ACCESS_TOKEN is not set: export your HubSpot private app token (or put it "
            "in .env), or start the bundled sandbox with `make sandbox` (it stays up in the "
            "background until `make sandbox-stop`)"
        )

    def dbt_vars(self) -> dict[str, str | int | bool]:
        return {
            "home_currency": self.home_currency,
            "reporting_timezone": self.reporting_timezone,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "merge_reps_by_email": self.merge_reps_by_email,
        }


def load_settings_or_defaults() -> Settings:
    """For building Dagster definitions at import: a wrong setting falls back to the
    defaults here, and the run itself then fails with the one line naming it."""
    try:
        return load_settings()
    except ConfigError:
        return Settings.model_construct()


def running_sandbox_env() -> Path | None:
    """`data/sandbox.env` if `make sandbox` wrote it and its sandbox still runs."""
    if not SANDBOX_ENV_FILE.exists():
        return None
    from ingestion.sandbox.background import read_running

    return SANDBOX_ENV_FILE if read_running(SANDBOX_ENV_FILE.parent) else None


def _crm_token_configured() -> bool:
    if os.environ.get("CRM_ACCESS_TOKEN", "").strip():
        return True
    try:
        for line in Path(".env").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip().removeprefix("export ").strip() == "CRM_ACCESS_TOKEN" and value.strip():
                return True
    except OSError:
        pass
    return bool(dlt.secrets.get("sources.hubspot.access_token"))


def load_settings(**overrides: Any) -> Settings:
    """The settings, checked; ConfigError with one line on the first wrong one.

    overrides replace what the environment says (the demo checks every other setting
    before it starts its own sandbox)."""
    env_files: tuple[Path | str, ...] = (".env",)
    if "crm_access_token" not in overrides and not _crm_token_configured():
        sandbox_env = running_sandbox_env()
        if sandbox_env is not None:
            # Listed first: values in .env (e.g. a CRM_BASE_URL) still win.
            env_files = (sandbox_env, ".env")
    try:
        return Settings(_env_file=env_files, **overrides)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:
        return message  # a check across settings: the message names them
    name = str(first["loc"][0]).upper()
    value = first.get("input")
    if name in SECRET_SETTINGS or isinstance(value, dict | SecretStr) or value is None:
        return f"{name}: {message[0].lower() + message[1:]}"
    return f"{name}={value!r}: {message[0].lower() + message[1:]}"
