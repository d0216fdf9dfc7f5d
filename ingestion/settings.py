"""One settings object for the whole pipeline, read from the environment or `.env`.

Secrets (the CRM token) come only from the environment or a gitignored `.env`, and are
held as SecretStr so they never appear in logs or reprs.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dlt
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    crm_base_url: str = Field(
        "https://api.hubapi.com", description="Base URL of the HubSpot API (or the sandbox)"
    )
    crm_access_token: SecretStr | None = Field(None, description="HubSpot private app token")
    # HubSpot allows 100 (Starter) to 190 (Professional/Enterprise) requests per 10 s per app.
    crm_max_requests_per_10s: int = Field(100, ge=1)
    crm_request_timeout_seconds: float = Field(30, gt=0)
    warehouse_path: Path = Field(PROJECT_ROOT / "data" / "warehouse.duckdb")
    serving_path: Path = Field(PROJECT_ROOT / "data" / "serving.duckdb")
    home_currency: str = "AZN"
    reporting_timezone: str = "Asia/Baku"
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    # Publish is blocked when more than this share of one object type's records is quarantined.
    quarantine_max_share: float = Field(0.02, ge=0, le=1)
    # Freshness: hours from the newest CRM change loaded to the CRM's clock now; a warning
    # after the first, a failure after the second.
    freshness_warn_after_hours: float = Field(26, gt=0)
    freshness_max_age_hours: float = Field(50, gt=0)
    # First daily partition (reporting time zone) shown in Dagster and open to backfills.
    history_start_date: date = date(2024, 1, 1)
    # First wait before a failed step is retried (then 2x, 4x).
    retry_delay_seconds: float = Field(10, ge=0)

    @field_validator("reporting_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("crm_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @cached_property
    def dlt_pipelines_dir(self) -> Path:
        """dlt's local state lives beside the warehouse it describes."""
        return self.warehouse_path.parent / ".dlt_pipelines"

    def token(self) -> str:
        """The CRM token from CRM_ACCESS_TOKEN, else dlt's `.dlt/secrets.toml`
        (`[sources.hubspot] access_token = "..."`)."""
        if self.crm_access_token is not None and self.crm_access_token.get_secret_value():
            return self.crm_access_token.get_secret_value()
        from_dlt = dlt.secrets.get("sources.hubspot.access_token")
        if from_dlt:
            return str(from_dlt)
        raise ConfigError(
            "CRM_ACCESS_TOKEN is not set: export your HubSpot private app token "
            "(or run `make demo`, which starts the sandbox and sets it)"
        )

    def dbt_vars(self) -> dict[str, str | int]:
        return {
            "home_currency": self.home_currency,
            "reporting_timezone": self.reporting_timezone,
            "fiscal_year_start_month": self.fiscal_year_start_month,
        }


def load_settings_or_defaults() -> Settings:
    """For building Dagster definitions at import: a wrong setting falls back to the
    defaults here, and the run itself then fails with the one line naming it."""
    try:
        return load_settings()
    except ConfigError:
        return Settings.model_construct()


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"{name}: {first['msg']}") from None
