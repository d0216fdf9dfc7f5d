"""The sandbox honours HubSpot's CRM v3 contract: auth, paging, properties, history, search."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from ingestion.sandbox.generator import STAGES, Organisation
from ingestion.sandbox.runner import RunningSandbox

from ..conftest import auth


def get(sandbox: RunningSandbox, path: str, **params) -> httpx.Response:
    return httpx.get(f"{sandbox.base_url}{path}", params=params, headers=auth(sandbox), timeout=30)


def search(sandbox: RunningSandbox, object_type: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{sandbox.base_url}/crm/v3/objects/{object_type}/search",
        json=body,
        headers=auth(sandbox),
        timeout=30,
    )


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc"])
def test_bad_or_missing_token_gets_hubspot_401(sandbox, header):
    headers = {"Authorization": header} if header else {}
    resp = httpx.get(f"{sandbox.base_url}/crm/v3/objects/deals", headers=headers)
    assert resp.status_code == 401
    body = resp.json()
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["correlationId"] and "Authentication credentials" in body["message"]


def test_unknown_object_type_is_a_validation_error(sandbox):
    resp = get(sandbox, "/crm/v3/objects/unicorns")
    assert resp.status_code == 400
    assert resp.json()["category"] == "VALIDATION_ERROR"


def test_paging_walks_every_deal_once(sandbox, org: Organisation):
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        params = {"limit": 100} | ({"after": after} if after else {})
        body = get(sandbox, "/crm/v3/objects/deals", **params).json()
        assert len(body["results"]) <= 100
        seen += [r["id"] for r in body["results"]]
        pages += 1
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert len(seen) == len(set(seen)) == len(org.objects["deals"])
    assert set(seen) == set(org.objects["deals"])
    assert pages == -(-len(seen) // 100)


def test_limit_is_capped_at_100_and_50_with_history(sandbox):
    assert len(get(sandbox, "/crm/v3/objects/calls", limit=500).json()["results"]) == 100
    body = get(
        sandbox, "/crm/v3/objects/deals", limit=100, propertiesWithHistory="dealstage"
    ).json()
    assert len(body["results"]) == 50


def test_default_limit_is_10(sandbox):
    assert len(get(sandbox, "/crm/v3/objects/contacts").json()["results"]) == 10


def test_properties_parameter_selects_properties(sandbox, org: Organisation):
    body = get(sandbox, "/crm/v3/objects/deals", limit=3, properties="amount,nosuchprop").json()
    for rec in body["results"]:
        assert set(rec["properties"]) == {
            "amount",
            "nosuchprop",
            "hs_object_id",
            "createdate",
            "hs_lastmodifieddate",
        }
        assert rec["properties"]["nosuchprop"] is None
        assert rec["properties"]["amount"] == org.objects["deals"][rec["id"]].properties["amount"]
        assert isinstance(rec["properties"]["amount"], str)  # HubSpot sends strings
        assert {"id", "createdAt", "updatedAt", "archived"} <= set(rec)


def test_history_is_newest_first_and_matches_the_generator(sandbox, org: Organisation):
    body = get(
        sandbox,
        "/crm/v3/objects/deals",
        limit=50,
        propertiesWithHistory="dealstage,hubspot_owner_id,amount,closedate",
    ).json()
    rec = max(body["results"], key=lambda r: len(r["propertiesWithHistory"]["dealstage"]))
    stages = rec["propertiesWithHistory"]["dealstage"]
    times = [datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")) for s in stages]
    assert times == sorted(times, reverse=True)
    expected = [v for v, _ in reversed(org.objects["deals"][rec["id"]].history["dealstage"])]
    assert [s["value"] for s in stages] == expected
    assert {"value", "timestamp", "sourceType"} <= set(stages[0])
    assert set(rec["propertiesWithHistory"]) == {
        "dealstage",
        "hubspot_owner_id",
        "amount",
        "closedate",
    }


def test_associations_link_engagements_to_deals(sandbox, org: Organisation):
    body = get(sandbox, "/crm/v3/objects/meetings", limit=20, associations="deals").json()
    for rec in body["results"]:
        links = rec["associations"]["deals"]["results"]
        assert [link["id"] for link in links] == org.objects["meetings"][rec["id"]].associations[
            "deals"
        ]
        assert links[0]["type"] == "meeting_to_deal"


def test_archived_true_returns_only_archived(sandbox):
    assert get(sandbox, "/crm/v3/objects/deals", archived="true").json()["results"] == []


def test_owners_carry_teams(sandbox, org: Organisation):
    body = get(sandbox, "/crm/v3/owners", limit=500).json()
    assert len(body["results"]) == len(org.reps)
    owner = body["results"][0]
    assert owner["teams"][0]["primary"] is True
    assert owner["teams"][0]["name"] == org.teams[org.reps[0].team_id]
    assert {"id", "email", "firstName", "lastName", "userId"} <= set(owner)


def test_deal_pipeline_stages_have_probability_and_closed_metadata(sandbox):
    pipeline = get(sandbox, "/crm/v3/pipelines/deals").json()["results"][0]
    stages = {s["id"]: s["metadata"] for s in pipeline["stages"]}
    assert len(stages) == len(STAGES)
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["closedlost"] == {"isClosed": "true", "probability": "0.0"}
    assert stages["qualifiedtobuy"]["isClosed"] == "false"


def test_property_definitions_list_object_properties(sandbox):
    props = {p["name"]: p for p in get(sandbox, "/crm/v3/properties/deals").json()["results"]}
    assert props["amount"]["type"] == "number"
    assert props["closedate"]["type"] == "datetime"
    assert props["dealstage"]["type"] == "string"


def test_search_filters_and_sorts_by_last_modified(sandbox, org: Organisation):
    cutoff = "2026-09-01T00:00:00.000Z"
    cutoff_ms = int(datetime.fromisoformat(cutoff.replace("Z", "+00:00")).timestamp() * 1000)
    body = {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": "hs_lastmodifieddate",
                        "operator": "GTE",
                        "value": str(cutoff_ms),
                    }
                ]
            }
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["dealstage", "hs_lastmodifieddate"],
        "limit": 200,
    }
    found, after = [], None
    while True:
        resp = search(sandbox, "deals", body | ({"after": after} if after else {}))
        assert resp.status_code == 200
        page = resp.json()
        found += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    expected = {
        i for i, r in org.objects["deals"].items() if r.properties["hs_lastmodifieddate"] >= cutoff
    }
    assert {r["id"] for r in found} == expected
    assert page["total"] == len(expected)
    stamps = [r["properties"]["hs_lastmodifieddate"] for r in found]
    assert stamps == sorted(stamps)


def test_search_refuses_to_page_past_10000(sandbox):
    ok = search(sandbox, "emails", {"limit": 200, "after": "9800"})
    assert ok.status_code == 200
    refused = search(sandbox, "emails", {"limit": 200, "after": "10000"})
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"


def test_indexed_search_equals_a_scan_of_every_record(org: Organisation):
    """The sandbox narrows searches on the last-modified date with a sorted index and keeps
    a query's results for its next pages; what it answers is what a scan would."""
    from ingestion.sandbox.server.filters import match, sort_key
    from ingestion.sandbox.server.store import Store

    store = Store(org.objects["emails"])
    stamps = sorted(r.properties["hs_lastmodifieddate"] for r in store.records())
    mid, late = stamps[len(stamps) // 2], stamps[-len(stamps) // 10]
    queries = [
        [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": mid}]}],
        [
            {
                "filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": mid},
                    {"propertyName": "hs_lastmodifieddate", "operator": "LTE", "value": late},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": "5"},
                ]
            }
        ],
        [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "EQ", "value": late}]}],
        [
            {"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": mid}]},
            {"filters": [{"propertyName": "hs_email_direction", "operator": "EQ", "value": "x"}]},
        ],
        [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "x"}]}],
    ]
    sorts = [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    for groups in queries:
        scan = [
            r
            for r in store.records()
            if not r.archived and r.merged_into is None and any(match(r, g) for g in groups)
        ]
        scan.sort(key=lambda r: sort_key(r, "hs_lastmodifieddate"))
        assert store.search(groups, sorts) == scan, groups
        assert store.search(groups, sorts) is store.search(groups, sorts)  # kept for paging
    assert store.search(queries[0], sorts) and store.search(queries[2], sorts)  # not empty


def test_listing_pages_equal_a_scan_of_every_record():
    """The archived listing pages an index of the archived records; live and archived pages
    are what a scan of every record in id order gives, cursor by cursor."""
    from ingestion.sandbox.drift import archive_records, merge_records
    from ingestion.sandbox.server.store import Store

    org = Organisation("small", 7)
    archive_records(org, 7, share=0.05)
    merge_records(org, 7, 0.05)
    store = Store(org.objects["deals"])
    for archived in (False, True):
        scan = [
            r.id
            for r in sorted(store.records(), key=lambda r: int(r.id))
            if r.archived == archived and r.merged_into is None
        ]
        paged, after = [], 0
        while True:
            page, nxt = store.page_from(after, archived, 7)
            paged += [r.id for r in page]
            if nxt is None:
                break
            assert int(nxt) > int(page[-1].id)
            after = int(nxt)
        assert paged == scan and len(scan) > 7, archived
