"""Reading only what changed: HubSpot's search API in windows, then full records by id.

Search filters on the last-modified property between the previous run's cursor and the
CRM clock at extraction, sorted by it. HubSpot refuses to page past 10,000 results of one
query (HTTP 400), so when a query is cut off the next window starts at the newest
timestamp seen (records at that timestamp are read again and deduplicated by id). When a
whole cut-off window shares one timestamp, a tie-break query pages that timestamp by
record id. Search answers carry properties only, so the changed records are then read in
batches with their property history and associations, in the same shape as a listing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from dlt.sources.helpers.rest_client import RESTClient

from ingestion.hubspot.cpu import CPU_BOUND
from ingestion.hubspot.json_answers import Answer, next_after

SEARCH_PAGE = 200  # HubSpot's maximum search page
BATCH = 100  # batch read inputs (50 when property history is requested)
BATCH_WITH_HISTORY = 50
# The property HubSpot's search filters and sorts on for "last modified", per object.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}


def modified_property(object_type: str) -> str:
    return MODIFIED_PROPERTY.get(object_type, "hs_lastmodifieddate")


def to_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_ms(value: str | datetime) -> int:
    if isinstance(value, str):
        value = to_datetime(value)
    return int(value.timestamp() * 1000)


class ChangedRecords:
    """Records of one object type modified in [since, until], read through search."""

    def __init__(
        self, client: RESTClient, object_type: str, since: str | datetime, until: datetime
    ):
        self.client = client
        self.object_type = object_type
        self.prop = modified_property(object_type)
        self.since_ms = to_ms(since)
        self.until_ms = to_ms(until)
        self.queries = 0  # search queries started (windows and tie-breaks)
        self.cut_off = False  # whether the last query hit the result cap

    def ids(self) -> Iterator[list[str]]:
        """Ids of changed records, page by page, each id once."""
        seen: set[str] = set()
        lo = self.since_ms
        while True:
            window = [
                {"propertyName": self.prop, "operator": "GTE", "value": str(lo)},
                {"propertyName": self.prop, "operator": "LTE", "value": str(self.until_ms)},
            ]
            newest = lo
            for page in self._query(window, self.prop):
                fresh = [r["id"] for r in page if r["id"] not in seen]
                seen.update(fresh)
                newest = max([newest, *(self._modified_ms(r) for r in page)])
                if fresh:
                    yield fresh
            if not self.cut_off:
                return
            if newest == lo:  # more than a whole window shares this one timestamp
                yield from self._tie_break(lo, seen)
                lo += 1
            else:
                lo = newest

    def _tie_break(self, ts: int, seen: set[str]) -> Iterator[list[str]]:
        after_id = 0
        while True:
            same_ts = [
                {"propertyName": self.prop, "operator": "EQ", "value": str(ts)},
                {"propertyName": "hs_object_id", "operator": "GT", "value": str(after_id)},
            ]
            for page in self._query(same_ts, "hs_object_id"):
                fresh = [r["id"] for r in page if r["id"] not in seen]
                seen.update(fresh)
                after_id = max([after_id, *(int(r["id"]) for r in page)])
                if fresh:
                    yield fresh
            if not self.cut_off:
                return

    def _query(self, filters: list[dict], sort: str) -> Iterator[list[dict]]:
        """Pages of one search query; sets `cut_off` when HubSpot refused to page further
        (the 10,000-result cap) while results remained."""
        self.queries += 1
        self.cut_off = False
        path = f"crm/v3/objects/{self.object_type}/search"
        after = 0
        while True:
            body = {
                "filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": [self.prop, "hs_object_id"],
                "limit": SEARCH_PAGE,
                "after": str(after),
            }
            resp = self.client.post(path, json=body)
            if resp.status_code == 400 and after > 0 and _is_paging_cap(resp):
                self.cut_off = True
                return
            resp.raise_for_status()
            data = resp.json()
            results = data.get("results") or []
            after = int(((data.get("paging") or {}).get("next") or {}).get("after") or 0)
            yield results
            if not after:
                return

    def _modified_ms(self, record: dict) -> int:
        value = (record.get("properties") or {}).get(self.prop)
        return to_ms(value) if value else self.since_ms


def _is_paging_cap(resp) -> bool:
    try:
        body = resp.json()
    except ValueError:
        return False
    return body.get("subCategory") == "SearchInvalidPagingError" or "after" in (
        body.get("context") or {}
    )


def list_pages(client: RESTClient, path: str, params: dict[str, Any]) -> Iterator[Answer]:
    """A listing's answers, page by page, through HubSpot's `paging.next.after` cursor: their
    bodies, not parsed (json_answers.py parses a batch of them)."""
    after = None
    while True:
        resp = client.get(path, params=params | ({"after": after} if after else {}))
        resp.raise_for_status()
        with CPU_BOUND:
            after = next_after(resp.content)
        yield Answer(resp.content)
        if not after:
            return


def read_batch(
    client: RESTClient,
    object_type: str,
    ids: list[str],
    properties: list[str],
    history: list[str] | None = None,
    associations: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Full records by id, shaped like a listing: properties, property history and
    `associations: {type: {results: [{id, type}]}}`."""
    size = BATCH_WITH_HISTORY if history else BATCH
    records: list[dict[str, Any]] = []
    for start in range(0, len(ids), size):
        body: dict[str, Any] = {
            "properties": properties,
            "inputs": [{"id": i} for i in ids[start : start + size]],
        }
        if history:
            body["propertiesWithHistory"] = history
        resp = client.post(f"crm/v3/objects/{object_type}/batch/read", json=body)
        resp.raise_for_status()
        with CPU_BOUND:
            records += orjson.loads(resp.content).get("results") or []
    for other in associations or []:
        linked = _associations(client, object_type, other, [r["id"] for r in records])
        for record in records:
            if record["id"] in linked:
                record.setdefault("associations", {})[other] = {"results": linked[record["id"]]}
    return records


def _associations(
    client: RESTClient, from_type: str, to_type: str, ids: list[str]
) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for start in range(0, len(ids), BATCH):
        inputs = [{"id": i} for i in ids[start : start + BATCH]]
        resp = client.post(
            f"crm/v4/associations/{from_type}/{to_type}/batch/read", json={"inputs": inputs}
        )
        resp.raise_for_status()
        for row in resp.json().get("results") or []:
            out[str(row["from"]["id"])] = [
                {
                    "id": str(to["toObjectId"]),
                    "type": next((t.get("label") for t in to.get("associationTypes") or []), None),
                }
                for to in row.get("to") or []
            ]
    return out
