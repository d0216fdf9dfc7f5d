"""CRM connections: which CRM accounts the warehouse reads, in one place.

Without a connections file there is one connection, `hubspot`, made of today's settings
(CRM_BASE_URL, CRM_ACCESS_TOKEN): existing setups change nothing. With
CRM_CONNECTIONS_FILE pointing at a YAML file, that file lists them:

    connections:
      - name: hubspot_eu            # becomes crm_source and the raw schema raw_hubspot_eu
        kind: hubspot
        base_url: https://api.hubapi.com
        token_env: HUBSPOT_EU_TOKEN  # the environment variable holding its token
      - name: hubspot_us
        kind: hubspot
        token_env: HUBSPOT_US_TOKEN

A token is never written in the file: only the name of the variable that holds it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingestion.settings import ConfigError, Settings, http_url_problem

KINDS = ("hubspot",)
DEFAULT_BASE_URLS = {"hubspot": "https://api.hubapi.com"}
DEFAULT_NAME = "hubspot"
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
FIELDS = {"name", "kind", "base_url", "token_env"}


@dataclass(frozen=True)
class Connection:
    name: str  # the rows' crm_source
    kind: str  # which CRM: its connector and its dbt adapter
    base_url: str
    token_env: str  # the environment variable with the token ("" : from Settings.token())

    @property
    def raw_schema(self) -> str:
        """The DuckDB schema (dlt dataset) its raw tables land in."""
        return f"raw_{self.name}"

    @property
    def pipeline_name(self) -> str:
        """dlt's pipeline (and state folder) name; the default keeps its historic name."""
        return self.kind if self.name == DEFAULT_NAME else f"{self.kind}_{self.name}"

    def token(self, settings: Settings) -> str:
        if not self.token_env:
            return settings.token()
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise ConfigError(
                f"{self.token_env} is not set: connection {self.name!r} of "
                f"{settings.crm_connections_file} reads its token from it"
            )
        return value


def default_connection(settings: Settings) -> Connection:
    """Today's single connection: HubSpot at CRM_BASE_URL, token from Settings.token()."""
    return Connection(DEFAULT_NAME, "hubspot", settings.crm_base_url, token_env="")


def load_connections(settings: Settings) -> list[Connection]:
    """The enabled connections; ConfigError with one line naming what to fix."""
    path = settings.crm_connections_file
    if path is None:
        return [default_connection(settings)]
    where = f"CRM_CONNECTIONS_FILE {path}"
    try:
        document = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{where} is not valid YAML{line}") from None
    entries = document.get("connections") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: expected a non-empty list under `connections:`")
    connections = [_connection(entry, i, where) for i, entry in enumerate(entries, 1)]
    names = [c.name for c in connections]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{where}: connection name {duplicates[0]!r} is used twice")
    return connections


def _connection(entry: object, number: int, where: str) -> Connection:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: connection {number} is not a mapping of name, kind, ...")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise ConfigError(
            f"{where}: connection {number} has unknown field {unknown[0]!r} "
            f"(fields: {', '.join(sorted(FIELDS))})"
        )
    name = str(entry.get("name", ""))
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: connection {number} name {name!r} must be lower case letters, digits "
            "and _ (starting with a letter, at most 40)"
        )
    kind = str(entry.get("kind", ""))
    if kind not in KINDS:
        raise ConfigError(
            f"{where}: connection {name!r} kind {kind!r} is not supported (one of: "
            f"{', '.join(KINDS)})"
        )
    base_url = str(entry.get("base_url") or DEFAULT_BASE_URLS[kind]).rstrip("/")
    problem = http_url_problem(base_url)
    if problem:
        raise ConfigError(f"{where}: connection {name!r} base_url {base_url!r}: {problem}")
    token_env = str(entry.get("token_env", ""))
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        raise ConfigError(
            f"{where}: connection {name!r} needs token_env, the name of the environment "
            "variable holding its token"
        )
    return Connection(name, kind, base_url, token_env)


def dbt_connections(settings: Settings) -> list[dict[str, str]]:
    """The connections as dbt's var crm_connections: [{name, kind}, ...]."""
    return [{"name": c.name, "kind": c.kind} for c in load_connections(settings)]


def connections_or_default(settings: Settings) -> list[Connection]:
    """For building Dagster definitions at import: a wrong connections file falls back to
    the default connection here, and the run itself then fails with the one line."""
    try:
        return load_connections(settings)
    except ConfigError:
        return [default_connection(settings)]
