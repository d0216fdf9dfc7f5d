"""Malformed requests get HubSpot's 400 VALIDATION_ERROR body, never a 5xx; the control
endpoints need the API's token; a taken port fails in one line before any work."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from ingestion.sandbox.runner import RunningSandbox

from ..conftest import auth

SEARCH = "/crm/v3/objects/deals/search"
BATCH = "/crm/v3/objects/deals/batch/read"
ASSOCIATIONS = "/crm/v4/associations/deals/contacts/batch/read"
GOOD_FILTER = {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "0"}

# (method, path, query parameters, JSON body or raw bytes)
MALFORMED: list[tuple[str, str, dict, object]] = [
    *[
        ("GET", path, params, None)
        for path in ("/crm/v3/owners", "/crm/v3/objects/deals", "/crm/v3/objects/calls")
        for params in (
            {"limit": "abc"},
            {"limit": "1.5"},
            {"limit": "0"},
            {"limit": "-3"},
            {"limit": "9" * 5000},
            {"after": "abc"},
            {"after": "-1"},
            {"after": "1e3"},
            {"archived": "maybe"},
        )
    ],
    ("GET", "/crm/v3/objects/unicorns", {}, None),
    ("GET", "/crm/v3/properties/unicorns", {}, None),
    *[
        ("POST", SEARCH, {}, body)
        for body in (
            [1, 2],
            "deals",
            5,
            b"{not json",
            b"\xff\xfe",
            {"limit": "abc"},
            {"limit": [1]},
            {"limit": 0},
            {"after": "abc"},
            {"after": -5},
            {"after": "-5"},
            {"after": {"x": 1}},
            {"after": 10_000},
            {"properties": 5},
            {"properties": [1, 2]},
            {"properties": "amount"},
            {"filterGroups": 5},
            {"filterGroups": {}},
            {"filterGroups": None},
            {"sorts": ""},
            {"filterGroups": "x"},
            {"filterGroups": [1]},
            {"filterGroups": [{"filters": 5}]},
            {"filterGroups": [{"filters": [1]}]},
            {"filterGroups": [{"filters": [{"operator": "EQ", "value": "1"}]}]},
            {"filterGroups": [{"filters": [{"propertyName": 5, "value": "1"}]}]},
            {"filterGroups": [{"filters": [GOOD_FILTER | {"operator": "LIKE"}]}]},
            {"filterGroups": [{"filters": [GOOD_FILTER | {"value": [1]}]}]},
            {"filterGroups": [{"filters": [GOOD_FILTER | {"value": None}]}]},
            {"filterGroups": [{"filters": [GOOD_FILTER | {"operator": "IN", "values": "a"}]}]},
            {"filterGroups": [{"filters": [GOOD_FILTER | {"operator": "IN", "values": [{}]}]}]},
            {"filterGroups": [{"filters": [GOOD_FILTER | {"operator": "BETWEEN"}]}]},
            {"sorts": 5},
            {"sorts": [5]},
            {"sorts": [{"direction": "ASCENDING"}]},
            {"sorts": [{"propertyName": "amount", "direction": "UP"}]},
        )
    ],
    *[
        ("POST", BATCH, {}, body)
        for body in (
            [1],
            "x",
            b"{",
            {"inputs": [1]},
            {"inputs": "123"},
            {"inputs": {"id": "1"}},
            {"inputs": [{"ID": "1"}]},
            {"inputs": [{"id": [1]}]},
            {"inputs": [{"id": "1"}], "properties": 5},
            {"inputs": [{"id": "1"}], "properties": [1]},
            {"inputs": [{"id": "1"}], "propertiesWithHistory": 5},
            {"inputs": [{"id": str(i)} for i in range(101)]},
        )
    ],
    ("POST", BATCH, {"archived": "yes"}, {"inputs": [{"id": "1"}]}),
    *[
        ("POST", ASSOCIATIONS, {}, body)
        for body in (
            [1],
            "x",
            b"{",
            {"inputs": [1]},
            {"inputs": ["1"]},
            {"inputs": 5},
            {"inputs": [{"id": 1.5}]},
        )
    ],
    ("POST", "/crm/v4/associations/unicorns/contacts/batch/read", {}, {"inputs": []}),
    *[
        ("POST", "/_sandbox/clock", {}, body)
        for body in (
            [1],
            "x",
            b"{",
            {"advance_days": "abc"},
            {"advance_days": [1]},
            {"advance_days": -1},
            {"advance_days": 1e300},
        )
    ],
]


def _send(sandbox: RunningSandbox, method: str, path: str, params: dict, body: object):
    kwargs: dict = {"params": params, "headers": auth(sandbox), "timeout": 60}
    if isinstance(body, bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    return httpx.request(method, f"{sandbox.base_url}{path}", **kwargs)


@pytest.mark.parametrize(
    "method,path,params,body",
    MALFORMED,
    ids=[f"{m} {p} {q!r:.40} {b!r:.60}" for m, p, q, b in MALFORMED],
)
def test_malformed_requests_get_hubspot_validation_errors(sandbox, method, path, params, body):
    resp = _send(sandbox, method, path, params, body)
    assert resp.status_code == 400, resp.text
    error = resp.json()
    assert error["status"] == "error"
    assert error["category"] == "VALIDATION_ERROR"
    assert error["correlationId"] and error["message"]
    assert "Traceback" not in error["message"]


def test_the_messages_name_what_is_wrong(sandbox):
    def message(path: str, params: dict, body: object = None, method: str = "GET") -> str:
        return _send(sandbox, method, path, params, body).json()["message"]

    assert message("/crm/v3/owners", {"limit": "abc"}) == "limit must be an integer, got 'abc'"
    assert message("/crm/v3/objects/deals", {"after": "-1"}) == "after must be at least 0, got -1"
    assert message(SEARCH, {}, [1], "POST") == "the request body must be a JSON object"
    assert message(BATCH, {}, {"properties": 5}, "POST") == (
        "properties must be a list of property names"
    )


def test_well_formed_edge_values_still_answer(sandbox):
    """What the validation must not refuse: string cursors, numeric strings, case."""
    ok = [
        ("GET", "/crm/v3/owners", {"after": "0", "limit": "1000", "archived": "TRUE"}, None),
        ("GET", "/crm/v3/objects/deals", {"after": "0", "archived": "False"}, None),
        ("POST", SEARCH, {}, {"after": "0", "limit": "5", "sorts": ["-hs_lastmodifieddate"]}),
        ("POST", SEARCH, {}, {"filterGroups": [{"filters": [GOOD_FILTER]}], "after": 5}),
        ("POST", BATCH, {}, {"inputs": [{"id": 1}], "properties": ["amount"]}),
        ("POST", ASSOCIATIONS, {}, {"inputs": [{"id": 1}, {"id": "2"}]}),
        ("POST", ASSOCIATIONS, {}, None),
        ("POST", BATCH, {}, {"inputs": [{"id": None}]}),  # a bad record's missing id
    ]
    for method, path, params, body in ok:
        resp = _send(sandbox, method, path, params, body)
        assert resp.status_code == 200, (path, params, body, resp.text)
    owners = _send(sandbox, "GET", "/crm/v3/owners", {"archived": "TRUE"}, None).json()
    assert owners["results"] == []
    page = _send(sandbox, "POST", SEARCH, {}, {"after": "3", "limit": 2}).json()
    assert len(page["results"]) == 2 and page["paging"]["next"]["after"] == "5"
    missing = _send(sandbox, "GET", "/crm/v3/objects/deals/not-an-id", {"properties": "x"}, None)
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/_sandbox/clock"), ("POST", "/_sandbox/clock")],
)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token"])
def test_control_endpoints_need_the_token(sandbox, method, path, header):
    headers = {"Authorization": header} if header else {}
    resp = httpx.request(
        method, f"{sandbox.base_url}{path}", json={"advance_days": 1}, headers=headers
    )
    assert resp.status_code == 401
    assert resp.json()["category"] == "INVALID_AUTHENTICATION"
    clock = httpx.get(f"{sandbox.base_url}/_sandbox/clock", headers=auth(sandbox))
    assert clock.status_code == 200 and clock.json()["days_later"] == 0  # did not move


def test_health_stays_open(sandbox):
    resp = httpx.get(f"{sandbox.base_url}/_sandbox/health")
    assert resp.json() == {"status": "ok", "preset": "small", "seed": 42}


def test_fault_stats_need_the_token():
    from ingestion.sandbox.runner import sandbox_process

    with sandbox_process("small", 42, extra_args=("--faults", "error_rate=0,seed=1")) as sb:
        url = f"{sb.base_url}/_sandbox/faults"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        httpx.get(f"{sb.base_url}/crm/v3/owners", headers=auth(sb)).raise_for_status()
        stats = httpx.get(url, headers=auth(sb))
        assert stats.status_code == 200
        assert stats.json()["requests"] == 1  # the owners request; stats calls are not counted


def test_a_taken_port_fails_at_once_in_one_line(sandbox):
    port = sandbox.base_url.rsplit(":", 1)[1]
    proc = subprocess.run(
        [sys.executable, "-m", "ingestion.sandbox", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""  # checked before the organisation is generated and the URL printed
    assert proc.stderr == (
        f"error: port {port} on 127.0.0.1 is taken (another sandbox?): choose another with "
        "--port N, or --port 0 to pick a free one\n"
    )


def test_port_0_picks_a_free_port_and_prints_it():
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingestion.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SANDBOX_TOKEN": "t0"},
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("CRM sandbox (small, seed 42) on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].strip()
        assert int(url.rsplit(":", 1)[1]) > 0
        deadline = time.monotonic() + 30
        while True:  # printed just before the server starts answering
            try:
                resp = httpx.get(f"{url}/crm/v3/owners", headers={"Authorization": "Bearer t0"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"nothing answers at {url}"
                time.sleep(0.1)
        assert resp.status_code == 200 and resp.json()["results"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_moving_the_clock_releases_the_organisation_first_and_answers_503_meanwhile():
    """The old and the new organisation never share the memory (a medium one is ~4 GiB):
    the old one is gone before the new one is generated; CRM requests get 503 meanwhile."""
    import asyncio
    import gc
    import threading
    import weakref

    from ingestion.sandbox.generator import Organisation
    from ingestion.sandbox.server import create_app

    first = Organisation("small", 7)
    old = weakref.ref(first)
    generating, finish = threading.Event(), threading.Event()
    old_alive_while_generating: list[bool] = []

    def org_at(days_later: float) -> Organisation:
        gc.collect()
        old_alive_while_generating.append(old() is not None)
        generating.set()
        finish.wait(60)
        return Organisation("small", 7, days_later=days_later)

    app = create_app(first, "t", org_at=org_at)
    del first
    headers = {"Authorization": "Bearer t"}

    async def scenario() -> tuple[int, int, int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sb") as client:
            move = asyncio.create_task(
                client.post("/_sandbox/clock", json={"advance_days": 1}, headers=headers)
            )
            await asyncio.to_thread(generating.wait, 60)
            during = await client.get("/crm/v3/objects/deals", headers=headers)
            health = await client.get("/_sandbox/health")
            finish.set()
            moved = await move
            after = await client.get("/crm/v3/objects/deals", headers=headers)
            return during.status_code, health.status_code, moved.status_code, after.status_code

    during, health, moved, after = asyncio.run(scenario())
    assert old_alive_while_generating == [False]
    assert (during, health, moved, after) == (503, 503, 200, 200)
