"""The records of one object type, ordered for cursor paging, with a search index."""

from __future__ import annotations

import bisect

import orjson

from ingestion.sandbox.generator import Record
from ingestion.sandbox.server.filters import match, sort_key, to_ms

# Properties the search index keeps sorted (what incremental extraction filters on).
INDEXED_PROPERTIES = ("hs_lastmodifieddate", "lastmodifieddate")
SEARCHES_KEPT = 8  # queries whose results are kept for their next pages, per object type


class Store:
    """Records of one object type ordered by numeric key, for cursor paging.

    The key is the record's id, except for bad records the sandbox injects on request
    (ingestion/sandbox/bad_records.py): a record without an id, or a second copy of an id,
    sits under a synthetic numeric key that orders it and is its paging cursor.
    """

    def __init__(self, records: dict[str, Record]):
        items = sorted(records.items(), key=lambda item: int(item[0]))
        self.records = [rec for _, rec in items]
        self.ids = [int(key) for key, _ in items]
        self.property_names = sorted({p for r in self.records for p in r.properties})
        # The archived listing pages only these (a night lists it whole: scanning every
        # record for the few archived ones cost as much as the history is long).
        self._archived = [
            i for i, r in enumerate(self.records) if r.archived and r.merged_into is None
        ]
        self._archived_ids = [self.ids[i] for i in self._archived]
        self._searches: dict[bytes, list[Record]] = {}  # recent queries, oldest first
        self._indexes: dict[str, tuple[list[float], list[int], list[int]]] = {}
        for name in INDEXED_PROPERTIES:  # built up front, as a CRM's search index is
            self._index(name)

    def search(self, groups: list[dict], sorts: list) -> list[Record]:
        """Live records matching any filter group, in sort order. The result of a query is
        kept for its next pages (records do not change while a store is in use), so paging
        through a query costs one scan of the store, not one per page."""
        key = orjson.dumps([groups, sorts], option=orjson.OPT_SORT_KEYS)
        if key in self._searches:
            return self._searches[key]
        candidates = self._candidates(groups)
        matches = [
            r
            for r in candidates
            if not r.archived
            and r.merged_into is None
            and (not groups or any(match(r, g) for g in groups))
        ]
        for sort in reversed(sorts):
            if isinstance(sort, str):
                name, desc = sort.lstrip("-"), sort.startswith("-")
            else:
                name, desc = sort["propertyName"], sort.get("direction") == "DESCENDING"
            matches.sort(key=lambda r, n=name: sort_key(r, n), reverse=desc)
        if len(self._searches) >= SEARCHES_KEPT:
            self._searches.pop(next(iter(self._searches)))
        self._searches[key] = matches
        return matches

    def _index(self, name: str) -> tuple[list[float], list[int], list[int]]:
        """Positions of the records by their value of one property (as epoch ms), and the
        positions of records whose value is not a number or a date."""
        if name not in self._indexes:
            keyed, odd = [], []
            for i, rec in enumerate(self.records):
                value = rec.properties.get(name)
                if value is None:
                    continue
                try:
                    keyed.append((to_ms(value), i))
                except (ValueError, TypeError):
                    odd.append(i)
            keyed.sort()
            self._indexes[name] = ([k for k, _ in keyed], [i for _, i in keyed], odd)
        return self._indexes[name]

    def _candidates(self, groups: list[dict]) -> list[Record]:
        """The records a query can match, in store order: when every filter group bounds an
        indexed property (a last-modified date) with GT/GTE/EQ/LT/LTE, only the records in
        those ranges, plus those whose value is not a date (the filters still decide)."""
        positions: set[int] = set()
        for group in groups:
            bounds = _indexed_range(group.get("filters", []))
            if bounds is None:
                return self.records
            name, lo, hi = bounds
            keys, order, odd = self._index(name)
            positions.update(order[bisect.bisect_left(keys, lo) : bisect.bisect_right(keys, hi)])
            positions.update(odd)
        return [self.records[i] for i in sorted(positions)] if groups else self.records

    def page_from(self, after: int, archived: bool, limit: int) -> tuple[list[Record], str | None]:
        """Up to limit records from the cursor on, and the cursor of the next page if any."""
        if archived:
            start = bisect.bisect_left(self._archived_ids, after)
            chosen = self._archived[start : start + limit + 1]
            nxt = str(self.ids[chosen[limit]]) if len(chosen) > limit else None
            return [self.records[i] for i in chosen[:limit]], nxt
        start = bisect.bisect_left(self.ids, after)
        out: list[Record] = []
        for i in range(start, len(self.records)):
            rec = self.records[i]
            if rec.archived == archived and rec.merged_into is None:
                if len(out) == limit:
                    return out, str(self.ids[i])
                out.append(rec)
        return out, None


def _indexed_range(filters: list[dict]) -> tuple[str, float, float] | None:
    """The [lo, hi] a filter group puts on the first indexed property it bounds (None: it
    bounds none, so every record is a candidate)."""
    name, lo, hi = None, float("-inf"), float("inf")
    for f in filters:
        prop, op = f.get("propertyName"), f.get("operator", "EQ")
        if prop not in INDEXED_PROPERTIES or op not in ("GT", "GTE", "EQ", "LT", "LTE"):
            continue
        if name not in (None, prop):
            continue
        try:
            bound = to_ms(str(f.get("value")))
        except (ValueError, TypeError):
            continue
        name = prop
        if op in ("GT", "GTE", "EQ"):
            lo = max(lo, bound)
        if op in ("LT", "LTE", "EQ"):
            hi = min(hi, bound)
    return None if name is None else (name, lo, hi)
