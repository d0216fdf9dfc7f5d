"""HubSpot's listing answers parsed straight into Arrow, with no Python object per record.

A first load reads every record of a portal: parsing the answers with
orjson, guarding and enriching each record as a dict and converting the dicts to Arrow
cost three times the rest of the landing. Here pyarrow's JSON reader parses a batch of
answers' bodies against the shape the connector asked for (the requested properties as
text, the timestamps as text, `archived`, the associations and the property history), and
Arrow kernels build the same raw tables as arrow_pages.py builds from dicts: the record
table with its association columns, and the child tables.

Answers that do not fit the shape exactly take the Python path (orjson, RecordGuard,
arrow_pages.page_tables), which handles every odd record: a value that is not text where
text is expected (a JSON number, an object), a key twice, a record-level key or a property
nobody asked for (it becomes a column there), a record without an id or an id served
before (RecordGuard decides). Keys the raw tables never keep (a history entry's
`sourceId`, the answer's `paging`) may be anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from ingestion.hubspot.arrow_pages import (
    DLT_COLUMNS,
    ChildTable,
    child_rows,
    child_wire_type,
    column_name,
    put_timestamps,
    row_ids,
    rows_only,
    typed_table,
)

TEXT = pa.string()
# Properties HubSpot sends whether asked for or not; a column only when a record has one.
ALWAYS_SENT = ("hs_object_id", "createdate", "hs_lastmodifieddate")
HISTORY_ENTRY = ("value", "timestamp", "sourceType")
ASSOCIATION_ROW = ("id", "type")
BLOCK_BYTES = 1 << 20  # parsed in blocks of about this size, on pyarrow's threads


@dataclass(frozen=True)
class Answer:
    """The body of one listing answer, not parsed yet (its records land as Arrow)."""

    body: bytes

    def records(self) -> list[dict]:
        """Its records as dicts, for the Python path."""
        return orjson.loads(self.body).get("results") or []


@dataclass(frozen=True)
class Shape:
    """What a listing's records look like when they are as asked for."""

    requested: tuple[str, ...]  # properties asked for (custom ones included)
    associations: tuple[str, ...] = ()  # associated object types asked for
    history: tuple[str, ...] = ()  # properties asked for with their history
    archived: bool = False  # the archived listing (records carry `archivedAt`)

    @property
    def properties(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.requested, *ALWAYS_SENT]))


@lru_cache(maxsize=64)
def record_type(shape: Shape) -> pa.StructType:
    """A record of the shape as Arrow parses it (every timestamp still text)."""
    fields: list[tuple[str, pa.DataType]] = [
        ("id", TEXT),
        ("properties", pa.struct([(p, TEXT) for p in shape.properties])),
        ("createdAt", TEXT),
        ("updatedAt", TEXT),
        ("archived", pa.bool_()),
    ]
    if shape.archived:
        fields.append(("archivedAt", TEXT))
    if shape.history:
        entry = pa.struct([(k, TEXT) for k in HISTORY_ENTRY])
        fields.append(
            ("propertiesWithHistory", pa.struct([(p, pa.list_(entry)) for p in shape.history]))
        )
    if shape.associations:
        row = pa.struct([(k, TEXT) for k in ASSOCIATION_ROW])
        kinds = [(k, pa.struct([("results", pa.list_(row))])) for k in shape.associations]
        fields.append(("associations", pa.struct(kinds)))
    return pa.struct(fields)


def parse(bodies: list[bytes], shape: Shape) -> pa.StructArray | None:
    """The records of a batch of answers, in order; None when one does not fit the shape."""
    kind = record_type(shape)
    # One answer per line: a raw line break can only be white space between JSON tokens.
    text = b"\n".join(b.replace(b"\n", b" ") if b"\n" in b else b for b in bodies)
    block = max(BLOCK_BYTES, max(map(len, bodies), default=0) + 1)
    try:
        answers = pj.read_json(
            pa.BufferReader(text),
            read_options=pj.ReadOptions(block_size=block),
            parse_options=pj.ParseOptions(
                explicit_schema=pa.schema([("results", pa.list_(kind))]),
                unexpected_field_behavior="infer",
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    results = answers.column("results")
    if results.type.value_type == kind:
        records = pc.list_flatten(results).combine_chunks()
        return records if isinstance(records, pa.StructArray) else None
    got = results.type.value_type
    if _names(got) != _names(kind) or got.field("properties").type != kind.field("properties").type:
        return None  # a record-level key or a property nobody asked for: a column there
    if shape.history and _names(got.field("propertiesWithHistory").type) != shape.history:
        return None  # history of a property nobody asked for: rows there
    return _project(pc.list_flatten(results).combine_chunks(), kind)


def _names(kind: pa.StructType) -> tuple[str, ...]:
    return tuple(f.name for f in kind)


def _project(array: pa.Array, kind: pa.DataType) -> pa.Array:
    """The array with only the fields of `kind` (nested keys the raw tables never keep)."""
    if array.type == kind:
        return array
    mask = array.is_null() if array.null_count else None
    if pa.types.is_struct(kind):
        children = [_project(array.field(f.name), f.type) for f in kind]
        return pa.StructArray.from_arrays(children, fields=list(kind), mask=mask)
    if pa.types.is_list(kind):
        values = _project(array.values, kind.value_type)
        return pa.ListArray.from_arrays(array.offsets, values, type=kind, mask=mask)
    raise TypeError(f"{array.type} cannot be read as {kind}")


def next_after(body: bytes) -> str | None:
    """The listing's next cursor (`paging.next.after`), read from the answer's tail where
    HubSpot puts `paging`; anything else is parsed whole."""
    at = body.rfind(b'"paging"')
    if at >= 0:
        try:
            paging = orjson.loads(b"{" + body[at:]).get("paging")
        except orjson.JSONDecodeError:
            pass  # not the answer's last key
        else:
            return ((paging or {}).get("next") or {}).get("after")
    answer = orjson.loads(body)
    return ((answer.get("paging") or {}).get("next") or {}).get("after")


def first_ids(results: pa.ListArray) -> pa.Array:
    """Each record's lowest associated id (ids are numeric text: shorter is lower), as
    source.first_associated_id picks it; null when it has none."""
    n = len(results)
    ids = pc.list_flatten(results).field("id")
    parents = pc.list_parent_indices(results)
    keep = pc.is_valid(ids)
    ids, parents = ids.filter(keep), parents.filter(keep)
    if not len(ids):
        return pa.nulls(n, TEXT)
    order = pc.sort_indices(
        pa.table({"p": parents, "n": pc.utf8_length(ids), "id": ids}),
        sort_keys=[("p", "ascending"), ("n", "ascending"), ("id", "ascending")],
    )
    sorted_parents = pc.take(parents, order).to_numpy()
    first = np.ones(len(sorted_parents), dtype=bool)
    first[1:] = sorted_parents[1:] != sorted_parents[:-1]
    positions = order.to_numpy()[first]
    out = np.full(n, -1, dtype=np.int64)
    out[sorted_parents[first]] = positions
    return pc.take(ids, pa.array(out, mask=out < 0))


def history_lists(records: pa.StructArray, properties: tuple[str, ...]) -> pa.ListArray:
    """Each deal's property history as the rows source.unpack_history makes: property by
    property, each change in the order sent, as (deal_id, property_name, value,
    changed_at, source_type) text."""
    n = len(records)
    history = pc.struct_field(records, "propertiesWithHistory")
    ids = records.field("id")
    parts = []
    for k, name in enumerate(properties):
        lists = pc.struct_field(history, name)
        parents = pc.list_parent_indices(lists)
        parts.append((k, name, parents, pc.list_flatten(lists)))
    parents = np.concatenate([p.to_numpy() for _, _, p, _ in parts]).astype(np.int64)
    prop = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, _, p, _ in parts])
    order = np.lexsort((np.arange(len(parents)), prop, parents))  # stable: sent order kept
    entries = pa.concat_arrays([e for *_, e in parts]).take(pa.array(order))
    names = pa.array([name for _, name, *_ in parts], TEXT).take(pa.array(prop[order]))
    rows = pa.StructArray.from_arrays(
        [
            ids.take(pa.array(parents[order])),
            names,
            entries.field("value"),
            entries.field("timestamp"),
            entries.field("sourceType"),
        ],
        names=["deal_id", "property_name", "value", "changed_at", "source_type"],
    )
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(parents, minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), rows)


def association_lists(records: pa.StructArray, kind: str) -> pa.ListArray:
    """Each record's associations of one kind as (id, type, from_id) rows."""
    lists = pc.struct_field(pc.struct_field(records, "associations"), kind)
    lists = pc.struct_field(lists, "results")
    rows = pc.list_flatten(lists)
    from_ids = records.field("id").take(pc.list_parent_indices(lists))
    rows = pa.StructArray.from_arrays(
        [rows.field("id"), rows.field("type"), from_ids], names=["id", "type", "from_id"]
    )
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    offsets = np.zeros(len(records) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), rows)


def answer_tables(
    records: pa.StructArray,
    shape: Shape,
    children: list[ChildTable],
    lifts: dict[str, str],
    load_id: str,
    tombstones: bool = True,
) -> list[tuple[ChildTable | None, pa.Table]]:
    """The record table (child None) and each child table of parsed records, as
    arrow_pages.page_tables builds them from the same records as dicts; `lifts`: columns
    holding the lowest associated id of a kind (source.first_associated_id)."""
    n = len(records)
    columns: dict[str, pa.Array] = {"id": records.field("id")}
    properties = records.field("properties")
    for name, values in zip(shape.properties, properties.flatten(), strict=True):
        if name in shape.requested or values.null_count < n:
            columns["properties__" + column_name(name)] = values
    put_timestamps(columns, "created_at", records.field("createdAt"))
    put_timestamps(columns, "updated_at", records.field("updatedAt"))
    columns["archived"] = records.field("archived")
    if shape.archived and records.field("archivedAt").null_count < n:
        put_timestamps(columns, "archived_at", records.field("archivedAt"))
    for column, kind in lifts.items():
        columns[column] = first_ids(association_lists(records, kind))
    columns["_missing_id"] = pa.nulls(n, pa.bool_())
    columns["_duplicate_of"] = pa.nulls(n, TEXT)
    columns["_dlt_load_id"] = pa.array([load_id] * n, type=TEXT)
    columns["_dlt_id"] = row_ids(n)
    root = typed_table(columns, not_null={"id", *DLT_COLUMNS})
    out: list[tuple[ChildTable | None, pa.Table]] = [(None, root)]
    for child in children:
        if child.association is None:
            nested = history_lists(records, shape.history) if shape.history else None
        elif child.association in shape.associations:
            nested = association_lists(records, child.association)
        else:
            nested = None
        if nested is None:  # the listing does not carry them: none for every record
            wire = child_wire_type(child)
            nested = pa.ListArray.from_arrays(
                pa.array(np.zeros(n + 1, np.int32)), pa.array([], wire), type=pa.list_(wire)
            )
        table = child_rows(child, nested, root)
        out.append((child, table if tombstones else rows_only(table)))
    return out


class Digests:
    """Content digests of parsed records (DuckDB's hash of the whole record): equal for
    exact copies. RecordGuard compares a record served again against its first copy's."""

    def __init__(self) -> None:
        self.con = duckdb.connect()

    def of(self, records: pa.StructArray) -> np.ndarray:
        table = pa.table({"r": records})
        return self.con.from_arrow(table).select("hash(r) as h").fetchnumpy()["h"]


def numeric_keys(ids: pa.Array) -> np.ndarray | None:
    """The ids as numbers when every one is an id as HubSpot writes them (digits, no
    leading zero); None otherwise (the Python path keys them as text)."""
    if ids.null_count:
        return None
    try:
        keys = pc.cast(ids, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if len(ids) and not pc.all(pc.equal(pc.cast(keys, TEXT), ids)).as_py():
        return None
    return keys.to_numpy()


def numeric_key(record_id: str) -> int | None:
    """One id as numeric_keys reads it (None: not one)."""
    if not record_id.isascii() or not record_id.isdigit():
        return None
    key = int(record_id)
    return key if str(key) == record_id and key < 2**63 else None


class NumericIds:
    """Ids landed from parsed answers, as numbers, with a value each (a digest, or
    nothing): checking a batch against every id before costs no Python object per id.
    Kept in the chunks they came in, each sorted (listings come in id order)."""

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, np.ndarray | None]] = []

    def add(self, keys: np.ndarray, values: np.ndarray | None = None) -> None:
        if not len(keys):
            return
        if increasing(keys):
            self.chunks.append((keys, values))
        else:
            order = np.argsort(keys, kind="stable")
            self.chunks.append((keys[order], None if values is None else values[order]))

    def any_of(self, keys: np.ndarray) -> bool:
        """Whether any of these keys is here."""
        if not len(keys):
            return False
        lo, hi = keys.min(), keys.max()
        for chunk, _ in self.chunks:
            if chunk[0] > hi or chunk[-1] < lo:
                continue
            at = np.searchsorted(chunk, keys).clip(max=len(chunk) - 1)
            if np.any(chunk[at] == keys):
                return True
        return False

    def get(self, key: int) -> tuple[bool, object]:
        """(found, its value)."""
        for chunk, values in self.chunks:
            if chunk[0] <= key <= chunk[-1]:
                at = int(np.searchsorted(chunk, key))
                if chunk[at] == key:
                    return True, None if values is None else values[at].item()
        return False, None


def increasing(keys: np.ndarray) -> bool:
    return bool(np.all(keys[1:] > keys[:-1]))


def unique_keys(keys: np.ndarray) -> bool:
    return increasing(keys) or len(np.unique(keys)) == len(keys)


def any_in(ids: pa.Array, texts: Collection[str]) -> bool:
    """Whether any of these ids is one of the texts (ids kept as text on the orjson path)."""
    return bool(texts) and pc.any(pc.is_in(ids, pa.array(list(texts)))).as_py()
