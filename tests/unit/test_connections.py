"""CRM connections are configured in one place: the default is today's single HubSpot
connection, a connections file lists several, and a wrong file is one line naming the fix."""

from __future__ import annotations

import pytest

from ingestion.connections import Connection, dbt_connections, load_connections
from ingestion.settings import ConfigError, load_settings


@pytest.fixture
def settings_with(tmp_path, monkeypatch):
    def make(text: str | None):
        monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
        monkeypatch.setenv("SERVING_PATH", str(tmp_path / "serving.duckdb"))
        monkeypatch.setenv("CRM_ACCESS_TOKEN", "default-token")
        if text is None:
            monkeypatch.delenv("CRM_CONNECTIONS_FILE", raising=False)
        else:
            path = tmp_path / "connections.yml"
            path.write_text(text)
            monkeypatch.setenv("CRM_CONNECTIONS_FILE", str(path))
        return load_settings()

    return make


def test_without_a_file_the_default_connection_is_todays_settings(settings_with, monkeypatch):
    monkeypatch.setenv("CRM_BASE_URL", "http://127.0.0.1:8123")
    settings = settings_with(None)
    [default] = load_connections(settings)
    assert default == Connection("hubspot", "hubspot", "http://127.0.0.1:8123", "")
    assert default.raw_schema == "raw_hubspot" and default.pipeline_name == "hubspot"
    assert default.token(settings) == "default-token"
    assert dbt_connections(settings) == [{"name": "hubspot", "kind": "hubspot"}]


def test_a_file_lists_several_connections_with_their_token_variables(settings_with, monkeypatch):
    settings = settings_with(
        "connections:\n"
        "  - {name: hubspot_eu, kind: hubspot, token_env: EU_TOKEN}\n"
        "  - {name: hubspot_us, kind: hubspot, base_url: 'http://127.0.0.1:9/', token_env: US}\n"
    )
    monkeypatch.setenv("EU_TOKEN", " eu-secret ")
    eu, us = load_connections(settings)
    assert (eu.name, eu.base_url, eu.raw_schema) == (
        "hubspot_eu", "https://api.hubapi.com", "raw_hubspot_eu"
    )  # fmt: skip
    assert (us.base_url, us.pipeline_name) == ("http://127.0.0.1:9", "hubspot_hubspot_us")
    assert eu.token(settings) == "eu-secret"
    with pytest.raises(ConfigError, match="^US is not set: connection 'hubspot_us' of "):
        us.token(settings)


def test_a_salesforce_connection_names_its_client_credentials_variables(
    settings_with, monkeypatch, tmp_path
):
    (tmp_path / "ca.pem").write_text("certificates")
    settings = settings_with(
        "connections:\n"
        "  - {name: hubspot, kind: hubspot, token_env: HS_TOKEN}\n"
        "  - {name: sf, kind: salesforce, base_url: 'https://acme.my.salesforce.com/',\n"
        f"     client_id_env: SF_ID, client_secret_env: SF_SECRET, ca_bundle: '{tmp_path}/ca.pem',\n"
        "     api_reserve: 250}\n"
    )
    monkeypatch.setenv("SF_ID", "3MVG9-key")
    _, sf = load_connections(settings)
    assert (sf.kind, sf.base_url, sf.raw_schema, sf.pipeline_name) == (
        "salesforce", "https://acme.my.salesforce.com", "raw_sf", "salesforce_sf"
    )  # fmt: skip
    assert (sf.ca_bundle, sf.api_reserve) == (f"{tmp_path}/ca.pem", 250)
    with pytest.raises(
        ConfigError, match="^SF_SECRET is not set: connection 'sf' of .* client secret"
    ):
        sf.client_credentials(settings)
    monkeypatch.setenv("SF_SECRET", " s3cret ")
    assert sf.client_credentials(settings) == ("3MVG9-key", "s3cret")
    assert dbt_connections(settings) == [
        {"name": "hubspot", "kind": "hubspot"}, {"name": "sf", "kind": "salesforce"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("connections: [", "is not valid YAML (line 1)"),
        ("connections: []", "expected a non-empty list under `connections:`"),
        ("- name: a", "expected a non-empty list under `connections:`"),
        ("connections: [x]", "connection 1 is not a mapping"),
        (
            "connections: [{name: A, kind: hubspot, token_env: T}]",
            "connection 1 name 'A' must be lower case letters",
        ),
        (
            "connections: [{name: p, kind: pipedrive, token_env: T}]",
            "connection 'p' kind 'pipedrive' is not supported (one of: hubspot, salesforce)",
        ),
        (
            "connections: [{name: sf, kind: salesforce, token_env: T}]",
            "connection 'sf' has unknown field 'token_env' (fields of a salesforce connection:",
        ),
        (
            "connections: [{name: sf, kind: salesforce, client_id_env: I}]",
            "connection 'sf' needs client_secret_env, the name of the environment variable "
            "holding its client secret",
        ),
        (
            "connections: [{name: sf, kind: salesforce, client_id_env: I, client_secret_env: S, "
            "ca_bundle: /nowhere.pem}]",
            "connection 'sf' ca_bundle '/nowhere.pem' is not a file",
        ),
        (
            "connections: [{name: sf, kind: salesforce, client_id_env: I, client_secret_env: S, "
            "api_reserve: -5}]",
            "connection 'sf' api_reserve -5 should be a whole number of daily API calls",
        ),
        ("connections: [{name: a, kind: hubspot}]", "connection 'a' needs token_env"),
        (
            "connections: [{name: a, kind: hubspot, token_env: T, token: secret}]",
            "connection 'a' has unknown field 'token'",
        ),
        (
            "connections: [{name: a, kind: hubspot, token_env: T, base_url: 'ftp://x'}]",
            "connection 'a' base_url 'ftp://x': not an http(s) URL",
        ),
        (
            "connections: [{name: a, kind: hubspot, token_env: T}, "
            "{name: a, kind: hubspot, token_env: U}]",
            "connection name 'a' is used twice",
        ),
    ],
)
def test_a_wrong_file_is_one_line_naming_it(settings_with, text, expected):
    settings = settings_with(text)
    with pytest.raises(ConfigError) as error:
        load_connections(settings)
    message = str(error.value)
    assert message.startswith(f"CRM_CONNECTIONS_FILE {settings.crm_connections_file}")
    assert expected in message and "\n" not in message


def test_a_missing_file_is_one_line(settings_with, tmp_path, monkeypatch):
    settings = settings_with(None)
    monkeypatch.setenv("CRM_CONNECTIONS_FILE", str(tmp_path / "nowhere.yml"))
    settings = load_settings()
    with pytest.raises(ConfigError, match="nowhere.yml cannot be read: No such file"):
        load_connections(settings)


def test_an_empty_connections_file_setting_is_the_default(settings_with, monkeypatch):
    """`CRM_CONNECTIONS_FILE=` (as the demo sets it: it reads its own sandbox only)."""
    settings_with(None)
    monkeypatch.setenv("CRM_CONNECTIONS_FILE", " ")
    settings = load_settings()
    assert settings.crm_connections_file is None
    assert [c.name for c in load_connections(settings)] == ["hubspot"]
