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

      - name: sf_global            # a Salesforce org (connected app, client credentials)
        kind: salesforce
        base_url: https://acme.my.salesforce.com   # the org's My Domain (login URL)
        client_id_env: SF_CLIENT_ID                # the connected app's consumer key
        client_secret_env: SF_CLIENT_SECRET        # ... and its consumer secret
        ca_bundle: /etc/ssl/corp-proxy.pem         # optional: certificates to trust
        api_reserve: 1000                          # optional: daily API calls left alone

A token or secret is never written in the file: only the name of the variable holding it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingestion.settings import ConfigError, Settings, http_url_problem

KINDS = ("hubspot", "salesforce")
DEFAULT_BASE_URLS = {
    "hubspot": "https://api.hubapi.com",
    "salesforce": "https://login.salesforce.com",
}
DEFAULT_NAME = "hubspot"
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FIELDS = {
    "hubspot": {"name", "kind", "base_url", "token_env"},
    "salesforce": {
        "name", "kind", "base_url", "client_id_env", "client_secret_env", "ca_bundle",
        "api_reserve",
    },
}  # fmt: skip
# Daily API calls a Salesforce connection leaves to the org's other integrations.
DEFAULT_API_RESERVE = 1000


@dataclass(frozen=True)
class Connection:
    name: str  # the rows' crm_source
    kind: str  # which CRM: its connector and its dbt adapter
    base_url: str
    token_env: str  # the environment variable with the token ("" : from Settings.token())
    # Salesforce: the variables with the connected app's client id and secret, the CA bundle
    # to verify the org's certificate with (None: the system's), the calls left unused.
    client_id_env: str = ""
    client_secret_env: str = ""
    ca_bundle: str | None = None
    api_reserve: int = DEFAULT_API_RESERVE

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
        return self._secret(self.token_env, "token", settings)

    def client_credentials(self, settings: Settings) -> tuple[str, str]:
        """A Salesforce connection's client id and secret, from their variables."""
        return (
            self._secret(self.client_id_env, "client id", settings),
            self._secret(self.client_secret_env, "client secret", settings),
        )

    def _secret(self, variable: str, what: str, settings: Settings) -> str:
        value = os.environ.get(variable, "").strip()
        if not value:
            raise ConfigError(
                f"{variable} is not set: connection {self.name!r} of "
                f"{settings.crm_connections_file} reads its {what} from it"
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
    unknown = sorted(set(entry) - FIELDS[kind])
    if unknown:
        raise ConfigError(
            f"{where}: connection {name!r} has unknown field {unknown[0]!r} "
            f"(fields of a {kind} connection: {', '.join(sorted(FIELDS[kind]))})"
        )
    base_url = str(entry.get("base_url") or DEFAULT_BASE_URLS[kind]).rstrip("/")
    problem = http_url_problem(base_url)
    if problem:
        raise ConfigError(f"{where}: connection {name!r} base_url {base_url!r}: {problem}")

    def variable(field: str, holds: str) -> str:
        value = str(entry.get(field, ""))
        if not ENV_NAME.fullmatch(value):
            raise ConfigError(
                f"{where}: connection {name!r} needs {field}, the name of the environment "
                f"variable holding its {holds}"
            )
        return value

    if kind == "hubspot":
        return Connection(name, kind, base_url, variable("token_env", "token"))
    ca_bundle = entry.get("ca_bundle")
    if ca_bundle is not None and not Path(str(ca_bundle)).is_file():
        raise ConfigError(
            f"{where}: connection {name!r} ca_bundle {ca_bundle!r} is not a file (the PEM "
            "file of the certificates to trust)"
        )
    reserve = entry.get("api_reserve", DEFAULT_API_RESERVE)
    if not isinstance(reserve, int) or isinstance(reserve, bool) or reserve < 0:
        raise ConfigError(
            f"{where}: connection {name!r} api_reserve {reserve!r} should be a whole number "
            "of daily API calls, 0 or more"
        )
    return Connection(
        name,
        kind,
        base_url,
        token_env="",
        client_id_env=variable("client_id_env", "client id (the connected app's consumer key)"),
        client_secret_env=variable(
            "client_secret_env", "client secret (the connected app's consumer secret)"
        ),
        ca_bundle=str(ca_bundle) if ca_bundle is not None else None,
        api_reserve=reserve,
    )


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
