"""The Salesforce sandbox (ingestion/sandbox/salesforce/) against simple-salesforce, a
Salesforce REST client used unchanged: its client-credentials login, SOQL queries with
cursor paging, describe, limits and error handling; the records equal the generated
organisation's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from ingestion.sandbox.generator import STAGES, Organisation
from ingestion.sandbox.salesforce.objects import case_safe, converted_at, record_id
from ingestion.sandbox.salesforce.runner import RunningSalesforce, salesforce_process
from ingestion.sandbox.salesforce.soql import SoqlError, parse

from ..conftest import SEED

MY_DOMAIN = "https://acme.my.salesforce.com"  # what simple-salesforce logs in to


class ToSandbox(HTTPAdapter):
    """The org's My Domain answered by the sandbox: simple-salesforce builds its login URL
    from a domain name, so only the login is redirected; the token's instance_url points
    every later call at the sandbox itself."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        request.url = request.url.replace(MY_DOMAIN, self.base_url, 1)
        return super().send(request, **kwargs)


def _login(sb: RunningSalesforce, secret: str | None = None) -> Salesforce:
    session = requests.Session()
    session.mount(MY_DOMAIN, ToSandbox(sb.base_url))
    return Salesforce(
        consumer_key=sb.client_id,
        consumer_secret=secret or sb.client_secret,
        domain="acme.my",
        session=session,
    )


@pytest.fixture(scope="module")
def sandbox(monkeypatch_module) -> Iterator[RunningSalesforce]:
    with salesforce_process("small", SEED) as sb:
        # requests reads its CA bundle from the environment before the session's own
        monkeypatch_module.setenv("REQUESTS_CA_BUNDLE", str(sb.ca_file))
        yield sb


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def sf(sandbox: RunningSalesforce) -> Salesforce:
    return _login(sandbox)


@pytest.fixture(scope="module")
def org() -> Organisation:
    return Organisation("small", SEED)


LABELS = {sid: label for sid, label, _, _ in STAGES}


def test_client_credentials_login_gives_the_instance(sf: Salesforce, sandbox: RunningSalesforce):
    assert f"https://{sf.sf_instance}" == sandbox.base_url
    assert sf.session_id.startswith("00D")


def test_a_wrong_secret_is_refused_as_salesforce_does(sandbox: RunningSalesforce):
    with pytest.raises(SalesforceAuthenticationFailed) as failed:
        _login(sandbox, secret="not-the-secret")
    assert failed.value.code == "invalid_client"
    assert failed.value.auth_message == "invalid client credentials"


def test_every_opportunity_equals_the_generated_deal(sf: Salesforce, org: Organisation):
    fields = (
        "Id, AccountId, Amount, CurrencyIsoCode, StageName, CloseDate, IsClosed, IsWon, OwnerId"
    )
    got = sf.query_all(
        f"SELECT {fields} FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=500"}
    )["records"]
    deals = org.entities["deals"]
    assert len(got) == len(deals) > 1000  # more than one batch: paged by nextRecordsUrl
    by_id = {r["Id"]: r for r in got}
    for deal_id, deal in deals.items():
        row = by_id[record_id("Opportunity", int(deal_id))]
        current = deal.fields["current"]
        close = datetime.fromisoformat(current["expected_close"]).astimezone(org.tz).date()
        assert row["AccountId"] == record_id("Account", int(deal.fields["company"]))
        assert Decimal(str(row["Amount"])) == Decimal(current["amount"])
        assert row["CurrencyIsoCode"] == current["currency"]
        assert row["StageName"] == LABELS[current["stage"]]
        assert row["CloseDate"] == close.isoformat()
        assert row["IsClosed"] == (current["stage"] in ("closedwon", "closedlost"))
        assert row["IsWon"] == (current["stage"] == "closedwon")
        assert row["OwnerId"] == record_id("User", int(current["owner"]))
    users = sf.query_all("SELECT Id, Email, UserRoleId FROM User")["records"]
    assert {u["Email"] for u in users} == {r.email for r in org.reps}


def test_smaller_batches_page_through_every_row(sf: Salesforce):
    first = sf.query(
        "SELECT Id FROM Opportunity ORDER BY Id", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    ids = [r["Id"] for r in first["records"]]
    assert len(ids) == 200 and not first["done"]
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    page = first
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        ids += [r["Id"] for r in page["records"]]
    assert len(ids) == first["totalSize"] == len(set(ids))
    assert ids == sorted(ids, key=str.lower)


def test_where_on_the_modstamp_order_and_limit(sf: Salesforce, org: Organisation):
    since = datetime(2025, 6, 1, tzinfo=UTC)
    soql = (
        "SELECT Id, SystemModstamp FROM Opportunity "
        "WHERE SystemModstamp > 2025-06-01T00:00:00Z AND IsDeleted = false "
        "ORDER BY SystemModstamp DESC, Id LIMIT 50"
    )
    rows = sf.query(soql)["records"]
    newest = sorted(
        (
            (d.updated_at, record_id("Opportunity", int(i)))
            for i, d in org.entities["deals"].items()
        ),
        key=lambda pair: (-pair[0].timestamp(), pair[1].lower()),
    )
    expected = [oid for at, oid in newest if at > since][:50]
    assert [r["Id"] for r in rows] == expected
    stamp = rows[0]["SystemModstamp"]
    assert stamp.endswith("+0000") and len(stamp) == len("2025-06-01T00:00:00.000+0000")
    count = sf.query("SELECT COUNT() FROM Opportunity WHERE StageName IN ('Closed Won')")
    won = sum(d.fields["current"]["stage"] == "closedwon" for d in org.entities["deals"].values())
    assert count["totalSize"] == won and count["records"] == []


def test_stage_history_ends_with_the_deal_as_it_is(sf: Salesforce, org: Organisation):
    deal_id, deal = next(
        (i, d)
        for i, d in org.entities["deals"].items()
        if d.fields["current"]["stage"] == "closedwon"
    )
    oid = record_id("Opportunity", int(deal_id))
    rows = sf.query_all(
        f"SELECT StageName, Amount, CreatedDate FROM OpportunityHistory "
        f"WHERE OpportunityId = '{oid}' ORDER BY CreatedDate"
    )["records"]
    assert [r["StageName"] for r in rows][-1] == "Closed Won"
    assert rows[0]["StageName"] == LABELS[deal.history["stage"][0][0]]
    assert Decimal(str(rows[-1]["Amount"])) == Decimal(deal.fields["current"]["amount"])


def test_leads_activities_quotas_and_currencies_equal_the_organisation(
    sf: Salesforce, org: Organisation
):
    contacts = org.entities["contacts"]
    leads = sf.query_all("SELECT Id, IsConverted, ConvertedDate, OwnerId FROM Lead")["records"]
    assert len(leads) == len(contacts)
    converted = {
        record_id("Lead", int(i)): at.astimezone(org.tz).date().isoformat()
        for i, c in contacts.items()
        if (at := converted_at(c.fields["stages_reached"])) is not None
    }
    assert {r["Id"]: r["ConvertedDate"] for r in leads if r["IsConverted"]} == converted
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == len(converted)

    for subtype, kind in (("Call", "calls"), ("Email", "emails"), ("Task", "tasks")):
        n = sf.query(f"SELECT COUNT() FROM Task WHERE TaskSubtype = '{subtype}'")["totalSize"]
        assert n == len(org.entities[kind]), subtype
    connected = sf.query(
        "SELECT COUNT() FROM Task WHERE TaskSubtype = 'Call' AND CallDisposition = 'Connected'"
    )["totalSize"]
    assert connected == sum(
        c.fields["outcome"] == "connected" for c in org.entities["calls"].values()
    )
    assert sf.query("SELECT COUNT() FROM Event")["totalSize"] == len(org.entities["meetings"])

    quotas = sf.query_all("SELECT QuotaAmount, StartDate FROM ForecastingQuota")["records"]
    assert sum(Decimal(str(q["QuotaAmount"])) for q in quotas) == sum(
        q.fields["amount"] for q in org.entities["quotas"].values()
    )
    rates = sf.query_all("SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType")
    by_code = {r["IsoCode"]: r for r in rates["records"]}
    assert by_code["AZN"]["IsCorporate"] and by_code["AZN"]["ConversionRate"] == 1
    # Today's rate: the generator's, moved by up to 3 % per quarter (dated rates).
    assert by_code["USD"]["ConversionRate"] == pytest.approx(1 / 1.70, rel=0.031)
    dated = sf.query_all(
        "SELECT IsoCode, ConversionRate, StartDate, NextStartDate FROM DatedConversionRate "
        "WHERE IsoCode = 'USD' ORDER BY StartDate"
    )["records"]
    assert dated[0]["StartDate"] == "0001-01-01" and dated[-1]["NextStartDate"] == "9999-12-31"
    assert [r["NextStartDate"] for r in dated[:-1]] == [r["StartDate"] for r in dated[1:]]
    assert len({r["ConversionRate"] for r in dated}) > 3


def test_owner_changes_as_field_history(sf: Salesforce, org: Organisation):
    kept = org.now - timedelta(days=30.44 * 18)  # the sandbox's field history retention
    deal_id, deal = next(
        (i, d)
        for i, d in org.entities["deals"].items()
        if len(d.history["owner"]) > 1 and d.history["owner"][0][1] > kept
    )
    oid = record_id("Opportunity", int(deal_id))
    rows = sf.query_all(
        "SELECT Field, DataType, OldValue, NewValue, CreatedDate FROM OpportunityFieldHistory "
        f"WHERE OpportunityId = '{oid}' AND DataType = 'EntityId' ORDER BY CreatedDate"
    )["records"]
    owners = [record_id("User", int(owner)) for owner, _ in deal.history["owner"]]
    assert [(r["OldValue"], r["NewValue"]) for r in rows] == list(
        zip(owners, owners[1:], strict=False)
    )
    assert {r["Field"] for r in rows} == {"Owner"}


def test_deletes_retention_and_the_clock(monkeypatch, org: Organisation):
    options = ("--delete-share", "0.05", "--merge-share", "0.3", "--field-history-months", "6")
    options += ("--custom-fields",)
    with salesforce_process("small", SEED, extra_args=options) as sb:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sb.ca_file))
        sf = _login(sb)
        listed = sf.query("SELECT COUNT() FROM Opportunity")["totalSize"]
        everything = sf.query_all(
            "SELECT Id, IsDeleted, SystemModstamp FROM Opportunity", include_deleted=True
        )["records"]
        deleted = [r for r in everything if r["IsDeleted"]]
        assert len(everything) == len(org.entities["deals"]) == listed + len(deleted)
        assert 0.02 < len(deleted) / len(everything) < 0.08
        again = sf.query_all(
            "SELECT Id FROM Opportunity WHERE IsDeleted = true", include_deleted=True
        )["records"]
        assert {r["Id"] for r in again} == {r["Id"] for r in deleted}

        # the org's own fields: described as custom, set on some opportunities
        described = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
        assert described["Sales_Region__c"]["custom"] and not described["Amount"]["custom"]
        regions = sf.query_all("SELECT Sales_Region__c FROM Opportunity")["records"]
        share = sum(r["Sales_Region__c"] is not None for r in regions) / len(regions)
        assert 0.2 < share < 0.4

        # merged accounts: deleted, pointing at a live survivor of the same owner, and no
        # opportunity left on them
        accounts = sf.query_all(
            "SELECT Id, IsDeleted, MasterRecordId, OwnerId FROM Account", include_deleted=True
        )["records"]
        by_id = {a["Id"]: a for a in accounts}
        merged = [a for a in accounts if a["MasterRecordId"]]
        assert len(merged) > 5 and all(a["IsDeleted"] for a in merged)
        for a in merged:
            survivor = by_id[a["MasterRecordId"]]
            assert survivor["OwnerId"] == a["OwnerId"] and not survivor["MasterRecordId"]
        on_merged = sf.query(
            "SELECT COUNT() FROM Opportunity WHERE AccountId IN ("
            + ", ".join(f"'{a['Id']}'" for a in merged)
            + ")"
        )
        assert on_merged["totalSize"] == 0

        # field history older than 6 months is gone; stage history is not field history
        oldest = sf.query(
            "SELECT CreatedDate FROM OpportunityFieldHistory ORDER BY CreatedDate LIMIT 1"
        )
        kept_from = datetime.fromisoformat(oldest["records"][0]["CreatedDate"])
        assert (org.now - kept_from).days <= 6 * 30.44
        first_stage = sf.query(
            "SELECT CreatedDate FROM OpportunityHistory ORDER BY CreatedDate LIMIT 1"
        )
        assert (
            org.now - datetime.fromisoformat(first_stage["records"][0]["CreatedDate"])
        ).days > 365

        # the clock: a week later there are new opportunities, and the same ones stay deleted
        session = requests.Session()
        moved = session.post(
            f"{sb.base_url}/_sandbox/clock",
            json={"advance_days": 7},
            headers={"Authorization": f"Bearer {sf.session_id}"},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["days_later"] == 7
        week_later = Organisation("small", SEED, days_later=7, keep_log=False)
        after = session.get(  # every answer is dated by the org's clock
            f"{sb.base_url}/_sandbox/clock", headers={"Authorization": f"Bearer {sf.session_id}"}
        )
        assert parsedate_to_datetime(after.headers["date"]) == week_later.now.replace(microsecond=0)
        later = sf.query_all("SELECT Id, IsDeleted FROM Opportunity", include_deleted=True)[
            "records"
        ]
        assert len(later) == len(week_later.entities["deals"])
        assert len(later) > len(everything)
        still = {r["Id"] for r in later if r["IsDeleted"]}
        assert {r["Id"] for r in deleted} <= still


def test_faults_answer_as_a_salesforce_instance_down(monkeypatch, org: Organisation):
    with salesforce_process("small", SEED, extra_args=("--faults", "outage=2")) as sb:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sb.ca_file))
        sf = _login(sb)  # the login is not the REST API: never faulted
        for _ in range(2):
            with pytest.raises(SalesforceGeneralError) as down:
                sf.query("SELECT Id FROM UserRole")
            assert down.value.status == 503
            assert down.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
        assert sf.query("SELECT COUNT() FROM UserRole")["totalSize"] == len(org.teams)


def test_csat_and_nps_as_feedback_management_records(sf: Salesforce, org: Organisation):
    answers = sf.query_all(
        "SELECT ResponseId, QuestionId, NumberValue FROM SurveyQuestionResponse"
    )["records"]
    subjects = sf.query_all(
        "SELECT SurveyResponseId, SubjectId, SubjectEntityType FROM SurveySubject"
    )["records"]
    questions = {
        q["Id"]: q["QuestionType"]
        for q in sf.query_all("SELECT Id, QuestionType FROM SurveyQuestion")["records"]
    }
    about = {s["SurveyResponseId"]: s for s in subjects}
    got = sorted(
        (
            "NPS" if questions[a["QuestionId"]] == "NPS" else "CSAT",
            a["NumberValue"],
            about[a["ResponseId"]]["SubjectId"],
        )
        for a in answers
    )
    expected = sorted(
        (
            e.fields["survey"],
            e.fields["score"],
            record_id("Opportunity", int(e.associations["deals"][0]))
            if e.associations.get("deals")
            else record_id("Account", int(e.associations["companies"][0])),
        )
        for e in org.entities["feedback"].values()
    )
    assert got == expected and len(got) > 100


def test_describe_lists_fields_with_their_types(sf: Salesforce):
    fields = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert fields["CloseDate"]["type"] == "date"
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["SystemModstamp"]["type"] == "datetime"
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"User", "UserRole", "OpportunityStage", "Opportunity", "OpportunityHistory"} <= names
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/Nope/describe")


@pytest.mark.parametrize(
    ("soql", "code", "says"),
    [
        (
            "SELECT Id FROM Opportunity WHERE Name = 'a' OR Name = 'b'",
            "MALFORMED_QUERY",
            "unexpected token: 'OR'",
        ),
        ("SELECT Id FROM Nope", "INVALID_TYPE", "sObject type 'Nope' is not supported"),
        (
            "SELECT Nope FROM Opportunity",
            "INVALID_FIELD",
            "No such column 'Nope' on entity 'Opportunity'",
        ),
        (  # an org without that custom field
            "SELECT Sales_Region__c FROM Opportunity",
            "INVALID_FIELD",
            "No such column 'Sales_Region__c' on entity 'Opportunity'",
        ),
        (
            "SELECT Id FROM Opportunity WHERE SystemModstamp > '2025-01-01'",
            "INVALID_FIELD",
            "must be of type dateTime and should not be enclosed in quotes",
        ),
    ],
)
def test_a_query_it_cannot_answer_is_refused_with_salesforce_errors(
    sf: Salesforce, soql: str, code: str, says: str
):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query(soql)
    [error] = refused.value.content
    assert error["errorCode"] == code
    assert says in error["message"]
    assert "ERROR at Row:1:Column:" in error["message"]


def test_a_bad_token_and_a_bad_cursor(sandbox: RunningSalesforce, sf: Salesforce):
    stranger = Salesforce(instance_url=sandbox.base_url, session_id="00D!not-a-token")
    with pytest.raises(SalesforceExpiredSession) as expired:
        stranger.query("SELECT Id FROM User")
    assert expired.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    with pytest.raises(SalesforceMalformedRequest) as bad:
        sf.query_more("01g5g0000099999AAA-2000")
    assert bad.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_usage_is_reported_and_the_daily_allocation_enforced(monkeypatch):
    with salesforce_process("small", SEED, extra_args=("--daily-limit", "3")) as sb:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sb.ca_file))
        sf = _login(sb)
        assert sf.limits()["DailyApiRequests"] == {"Max": 3, "Remaining": 2}
        sf.query("SELECT Id FROM UserRole")
        assert sf.api_usage["api-usage"].used == 2 and sf.api_usage["api-usage"].total == 3
        sf.query("SELECT Id FROM UserRole")
        with pytest.raises(SalesforceRefusedRequest) as refused:
            sf.query("SELECT Id FROM UserRole")
        assert refused.value.content == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]


@pytest.mark.parametrize(
    ("short", "suffix"),
    [  # pairs as published with Salesforce id converters' tests
        ("000000000000000", "AAA"),
        ("00A000000000000", "EAA"),
        ("00000000000000A", "AAQ"),
        ("0000A0000A0000A", "QQQ"),
        ("000A0000A0000A0", "III"),
    ],
)
def test_record_ids_carry_salesforce_s_case_safe_suffix(short: str, suffix: str):
    assert case_safe(short) == short + suffix


def test_record_ids_are_distinct_and_prefixed():
    ids = {record_id("Opportunity", n) for n in range(1, 5000)}
    assert len(ids) == 4999 and all(i.startswith("0065g") and len(i) == 18 for i in ids)


@pytest.mark.parametrize(
    "soql",
    [
        "",
        "SELECT FROM Opportunity",
        "SELECT Id FROM Opportunity LIMIT x",
        "SELECT Id FROM Opportunity GROUP BY Id",
    ],
)
def test_the_parser_refuses_what_it_does_not_know(soql: str):
    with pytest.raises(SoqlError) as refused:
        parse(soql)
    assert refused.value.code == "MALFORMED_QUERY"
