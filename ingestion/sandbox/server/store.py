"""The records of one object type, ordered for cursor paging, with a search index."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator

import numpy as np
import orjson

from ingestion.sandbox.server.filters import match, parse_ms, sort_key, to_ms
from ingestion.sandbox.tables import Record, RecordTable

# Properties the search index keeps sorted (what incremental extraction filters on).
INDEXED_PROPERTIES = ("hs_lastmodifieddate", "lastmodifieddate")
SEARCHES_KEPT = 8  # queries whose results are kept for their next pages, per object type


class Store:
    """Records of one object type ordered by numeric key, for cursor paging.

    The key is the record's id, except for bad records the sandbox injects on request
    (ingestion/sandbox/bad_records.py): a record without an id, or a second copy of an id,
    sits under a synthetic numeric key that orders it and is its paging cursor.

    Records are rendered from the organisation's compact tables as they are served
    (ingestion/sandbox/tables.py); the store keeps the keys and the search indexes as
    arrays, not a Python object per record.
    """

    def __init__(self, records: RecordTable):
        self.table = records
        self.ids = records.numeric_keys()
        self._searches: dict[bytes, list[Record]] = {}  # recent queries, oldest first
        # Built up front, as a CRM's search index is, in the one pass that also collects
        # the property names the properties endpoint lists.
        self._indexes: dict[str, tuple[np.ndarray, np.ndarray, list[int]]] = {}
        names: set[str] = set()
        keyed: dict[str, tuple[array, array, list[int]]] = {
            name: (array("d"), array("q"), []) for name in INDEXED_PROPERTIES
        }
        for i in range(len(self.ids)):
            properties = self.record(i).properties
            names.update(properties)
            for name, (values, positions, odd) in keyed.items():
                value = properties.get(name)
                if value is None:
                    continue
                try:
                    values.append(parse_ms(value))
                    positions.append(i)
                except (ValueError, TypeError):
                    odd.append(i)
        for name, (values, positions, odd) in keyed.items():
            order = np.argsort(np.frombuffer(values, dtype=np.float64), kind="stable")
            self._indexes[name] = (
                np.frombuffer(values, dtype=np.float64)[order],
                np.frombuffer(positions, dtype=np.int64)[order],
                odd,
            )
        self.property_names = sorted(names)
        # The archived listing pages only these (a night lists it whole: scanning every
        # record for the few archived ones cost as much as the history is long). Only a
        # record the sandbox's switches changed can be archived or merged.
        self._archived = sorted(
            self.position(key)
            for key, rec in records.changed()
            if rec.archived and rec.merged_into is None
        )
        self._archived_ids = [self.ids[i] for i in self._archived]

    def position(self, key: str) -> int:
        return bisect.bisect_left(self.ids, int(key))

    def record(self, i: int) -> Record:
        rec = self.table.peek(str(self.ids[i]))
        assert rec is not None, self.ids[i]
        return rec

    def records(self) -> Iterator[Record]:
        """Every record, archived and merged ones too, in key order."""
        return map(self.record, range(len(self.ids)))

    def search(self, groups: list[dict], sorts: list) -> list[Record]:
        """Live records matching any filter group, in sort order. The result of a query is
        kept for its next pages (records do not change while a store is in use), so paging
        through a query costs one scan of the store, not one per page."""
        key = orjson.dumps([groups, sorts], option=orjson.OPT_SORT_KEYS)
        if key in self._searches:
            return self._searches[key]
        matches = [
            r
            for r in map(self.record, self._candidates(groups))
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

    def _candidates(self, groups: list[dict]) -> Iterable[int]:
        """The positions of the records a query can match, in store order: when every
        filter group bounds an indexed property (a last-modified date) with
        GT/GTE/EQ/LT/LTE, only the records in those ranges, plus those whose value is not a
        date (the filters still decide)."""
        positions: set[int] = set()
        for group in groups:
            bounds = _indexed_range(group.get("filters", []))
            if bounds is None:
                return range(len(self.ids))
            name, lo, hi = bounds
            keys, order, odd = self._indexes[name]
            low, high = np.searchsorted(keys, lo, "left"), np.searchsorted(keys, hi, "right")
            positions.update(order[low:high].tolist())
            positions.update(odd)
        return sorted(positions) if groups else range(len(self.ids))

    def page_from(self, after: int, archived: bool, limit: int) -> tuple[list[Record], str | None]:
        """Up to limit records from the cursor on, and the cursor of the next page if any."""
        if archived:
            start = bisect.bisect_left(self._archived_ids, after)
            chosen = self._archived[start : start + limit + 1]
            nxt = str(self.ids[chosen[limit]]) if len(chosen) > limit else None
            return [self.record(i) for i in chosen[:limit]], nxt
        start = bisect.bisect_left(self.ids, after)
        out: list[Record] = []
        for i in range(start, len(self.ids)):
            rec = self.record(i)
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
