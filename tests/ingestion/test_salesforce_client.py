"""The connector's Salesforce client (ingestion/salesforce/client.py) against the
Salesforce sandbox: its records, paging, a new token when one expires, retries, the API
allocation's reserve, and one line naming what to fix for each wrong setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingestion.http import CrmUnavailable, CrmUnreachable
from ingestion.salesforce.client import SalesforceClient
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import free_port
from ingestion.sandbox.salesforce.objects import record_id
from ingestion.sandbox.salesforce.runner import RunningSalesforce, salesforce_process

from ..conftest import SEED


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSalesforce]:
    with salesforce_process("small", SEED) as sb:
        yield sb


def _client(sb: RunningSalesforce, **kwargs) -> SalesforceClient:
    args = {"ca_bundle": str(sb.ca_file), "max_attempts": 3} | kwargs
    return SalesforceClient(sb.base_url, sb.client_id, sb.client_secret, **args)


def test_every_task_page_by_page(sandbox: RunningSalesforce):
    client = _client(sandbox)
    pages = list(client.query("SELECT Id, Subject, SystemModstamp FROM Task ORDER BY Id"))
    entities = Organisation("small", SEED, keep_log=False).entities
    tasks = [i for kind in ("calls", "emails", "tasks") for i in entities[kind]]
    assert len(tasks) > 4000  # several pages of 2,000
    assert [len(p) for p in pages[:-1]] == [2000] * (len(pages) - 1)
    got = [r["Id"] for page in pages for r in page]
    assert sorted(got) == sorted(record_id("Task", int(i)) for i in tasks)
    assert "attributes" not in pages[0][0]
    assert client.usage is not None and client.usage.used >= 2


def test_an_expired_token_gets_one_new_one(sandbox: RunningSalesforce):
    client = _client(sandbox)
    client.login()
    client.token = "00D!expired"
    [page] = client.query("SELECT Id FROM UserRole")
    assert page and client.logins == 2


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"client_id": "nope"}, "does not know the client id: check the connection's client id"),
        ({"client_secret": "nope"}, "refused the client secret"),
        ({"ca_bundle": None}, "is not trusted: give the connection's CA bundle"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(
    sandbox: RunningSalesforce, monkeypatch, change, says
):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # the system's CAs only
    args = {
        "login_url": sandbox.base_url,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "ca_bundle": str(sandbox.ca_file),
    } | change
    client = SalesforceClient(**args, max_attempts=3)
    with pytest.raises(CrmUnavailable) as failed:
        next(client.query("SELECT Id FROM User"))
    assert says in str(failed.value) and "\n" not in str(failed.value)


def test_a_login_url_nobody_listens_on():
    client = SalesforceClient(f"https://127.0.0.1:{free_port()}", "id", "secret", max_attempts=3)
    with pytest.raises(CrmUnavailable) as failed:
        client.login()
    assert not isinstance(failed.value, CrmUnreachable)
    assert "check the connection's login URL" in str(failed.value)


def test_a_field_the_user_cannot_read(sandbox: RunningSalesforce):
    with pytest.raises(CrmUnavailable) as failed:
        next(_client(sandbox).query("SELECT Secret__c FROM Opportunity"))
    assert "give the integration user read access" in str(failed.value)


def test_server_errors_are_retried_and_the_reserve_kept():
    extra = ("--faults", "outage=2", "--daily-limit", "8")
    with salesforce_process("small", SEED, extra_args=extra) as sb:
        client = _client(sb, reserve=3, max_attempts=4)
        [page] = client.query("SELECT Id FROM UserRole")  # two 503s, then the answer
        assert page
        with pytest.raises(CrmUnavailable) as stopped:
            for _ in range(10):
                list(client.query("SELECT Id FROM UserRole"))
        assert "the last 3 calls left" in str(stopped.value)
        assert client.usage.left == 3
