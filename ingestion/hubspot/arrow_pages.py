"""Pages of HubSpot records as Arrow tables, so dlt loads them without its Python normalizer.

dlt hands Arrow tables straight to parquet: on a first load of a large portal its per-row
normalizer was most of the time (880 of 1,432 s on the medium preset). This module builds
what that normalizer built, in the same shape, so the raw tables do not change:

- the record's table: `id`, `created_at` / `updated_at` / `archived_at` (timestamps),
  `archived`, one text column `properties__<name>` per property (a value sent as a JSON
  number or object is kept as text, as dlt coerced it), the columns the enrichment steps
  add (`associated_deal_id`, `_missing_id`, `_duplicate_of`, ...) and `_dlt_id`;
- one child table per nested list (`deals__property_history`,
  `<object>__associations__<kind>__results`) with `_dlt_parent_id` / `_dlt_root_id`
  pointing at the record's `_dlt_id` and `_dlt_list_idx`.

dlt replaced a record's child rows whenever it loaded the record again (nested merge).
The child tables are their own merge tables now, keyed on the parent's id (`merge_key`),
so rows of a record read again replace its old rows; a record read again with no rows in
a child table gets one tombstone row (`_dlt_deleted`, dlt's hard-delete hint) that
removes its old rows and is not stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import dlt
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention

TIMESTAMP = pa.timestamp("us", tz="UTC")
DELETED = "_dlt_deleted"  # hard-delete hint of the child tables' tombstones
# Top-level timestamps HubSpot sends as ISO-8601 text (dlt's normalizer detected them).
TIMESTAMP_KEYS = {"createdAt", "updatedAt", "archivedAt"}
BOOL_KEYS = {"archived", "_missing_id"}
GUARD_COLUMNS = ("_missing_id", "_duplicate_of")  # RecordGuard's marks, always columns
DLT_COLUMNS = {"_dlt_id", "_dlt_load_id", "_dlt_root_id", "_dlt_parent_id", "_dlt_list_idx"}
ASSOCIATION_COLUMNS = {"id": pa.string(), "type": pa.string(), "from_id": pa.string()}
HISTORY_COLUMNS = {
    "deal_id": pa.string(),
    "property_name": pa.string(),
    "value": pa.string(),
    "changed_at": TIMESTAMP,
    "source_type": pa.string(),
}

_naming = NamingConvention()

try:  # imported here, once: dlt's resource threads would import it side by side (a
    import pandas  # noqa: F401  # half-imported module fails dlt's Arrow item check)
except ImportError:  # pragma: no cover
    pass


@lru_cache(maxsize=4096)
def column_name(key: str) -> str:
    """dlt's snake_case name of one key (createdAt -> created_at); nested keys are joined
    with `__` as dlt's normalizer joins them."""
    return _naming.normalize_identifier(key)


@dataclass(frozen=True)
class ChildTable:
    """A nested list of a record, loaded as its own table."""

    name: str  # the table, as dlt named the nested table
    parent_key: str  # column holding the parent record's id (the merge key)
    association: str | None = None  # the associated object type; None: property history

    def lists(self, records: list[dict[str, Any]]) -> list[Any]:
        """Each record's list of child rows (None when it has none)."""
        if self.association is None:
            return [r.get("property_history") for r in records]
        kind = self.association
        return [((r.get("associations") or {}).get(kind) or {}).get("results") for r in records]

    @property
    def columns(self) -> dict[str, pa.DataType]:
        return HISTORY_COLUMNS if self.association is None else ASSOCIATION_COLUMNS


def child_tables(table: str, associations: list[str], history: bool) -> list[ChildTable]:
    """The child tables of one object type: its associations and, for deals, history."""
    out = [
        ChildTable(f"{table}__associations__{kind}__results", "from_id", kind)
        for kind in associations
    ]
    if history:
        out.append(ChildTable(f"{table}__property_history", "deal_id"))
    return out


def child_hints(child: ChildTable, first_load: bool = False) -> Any:
    """Merge on the parent's id; on a first load (nothing to replace) appended."""
    if first_load:
        return dlt.mark.make_hints(
            table_name=child.name, write_disposition="append", primary_key=[]
        )
    return dlt.mark.make_hints(
        table_name=child.name,
        write_disposition="merge",
        primary_key=[],
        merge_key=child.parent_key,
        columns=[{"name": DELETED, "data_type": "bool", "nullable": True, "hard_delete": True}],
    )


def page_tables(
    records: list[dict[str, Any]],
    children: list[ChildTable],
    properties: list[str],
    load_id: str,
    tombstones: bool = True,
) -> list[tuple[ChildTable | None, pa.Table]]:
    """The record table (child None) and each child table of a batch of records.
    `properties` get their columns even when no record of the batch has them. Without
    `tombstones` (a first load: no earlier rows to remove) a child table holds only rows."""
    if not records:
        return []
    root = _record_table(records, row_ids(len(records)), properties, load_id)
    out: list[tuple[ChildTable | None, pa.Table]] = [(None, root)]
    for child in children:
        table = _child_table(child, records, root)
        out.append((child, table if tombstones else rows_only(table)))
    return out


def rows_only(table: pa.Table) -> pa.Table:
    """A first load's child table: its rows without tombstones (nothing to remove yet).
    `_dlt_deleted` stays, all false as in a merged table: the table's first merge then does
    not add the column (DuckDB rewrote every row for it, a cost as large as the history)."""
    return table.filter(pc.invert(table.column(DELETED)))


def row_ids(n: int) -> pa.Array:
    """Random `_dlt_id`s (dlt's are random too), made without a Python loop."""
    return pa.array(np.frombuffer(os.urandom(8 * n), dtype=np.uint64)).cast(pa.string())


def _text(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_as_text(v) for v in values], type=pa.string())


def _as_text(value: Any) -> str | None:
    """A value as dlt's normalizer stored it in a text column."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def put_timestamps(columns: dict[str, pa.Array], name: str, texts: pa.Array) -> None:
    """ISO-8601 texts as UTC timestamps. A value that is not one is null there and kept
    as text in `<name>__v_text`, the variant column dlt's normalizer made for it."""
    try:
        columns[name] = pc.cast(texts, TIMESTAMP)
        return
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    values = texts.to_pylist()
    parsed = [_timestamp(v) for v in values]
    columns[name] = pa.array(parsed, type=TIMESTAMP)
    variant = [v if p is None else None for v, p in zip(values, parsed, strict=True)]
    if any(v is not None for v in variant):
        columns[f"{name}__v_text"] = pa.array(variant, type=pa.string())


def _columns(dicts: list[Any], fields: dict[str, pa.DataType]) -> dict[str, pa.Array]:
    """The named keys of the dicts (or None) as typed columns, converted by Arrow in one
    pass over the page (timestamps as text here). When a value does not fit its type (a
    property sent as a JSON number), key by key in Python, as dlt's normalizer coerced it."""
    wire = {k: pa.string() if t == TIMESTAMP else t for k, t in fields.items()}
    try:
        arrays = pa.array(dicts, type=pa.struct(list(wire.items()))).flatten()
        return dict(zip(fields, arrays, strict=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out: dict[str, pa.Array] = {}
    for key, kind in wire.items():
        values = [d.get(key) if d else None for d in dicts]
        if kind == pa.bool_():
            out[key] = _bools(values)
        elif isinstance(kind, pa.StructType):
            out[key] = _columns_struct(values, kind)
        else:
            out[key] = _text(values)
    return out


def _columns_struct(values: list[Any], kind: pa.StructType) -> pa.StructArray:
    inner = _columns(values, {f.name: f.type for f in kind})
    mask = pa.array([v is None for v in values], type=pa.bool_())
    return pa.StructArray.from_arrays(list(inner.values()), names=list(inner), mask=mask)


def _keys(dicts: list[dict[str, Any]]) -> list[str]:
    """Every key of the dicts: the first one's in its order, then any others."""
    keys = list(dicts[0])
    return keys + sorted(set().union(*dicts).difference(keys))


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _bools(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=pa.bool_())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else bool(v) for v in values], type=pa.bool_())


def _record_table(
    records: list[dict[str, Any]], ids: pa.Array, properties: list[str], load_id: str
) -> pa.Table:
    props = dict.fromkeys(properties)
    props.update(dict.fromkeys(_keys([r.get("properties") or {} for r in records])))
    fields: dict[str, pa.DataType] = {}
    for key in dict.fromkeys([*_keys(records), *GUARD_COLUMNS]):
        if key in ("associations", "property_history"):
            continue
        if key == "properties":
            fields[key] = pa.struct([(p, pa.string()) for p in props])
        elif key in TIMESTAMP_KEYS:
            fields[key] = TIMESTAMP
        else:
            fields[key] = pa.bool_() if key in BOOL_KEYS else pa.string()
    fields.setdefault("properties", pa.struct([(p, pa.string()) for p in props]))
    columns: dict[str, pa.Array] = {}
    for key, values in _columns(records, fields).items():
        if key == "properties":
            for prop, array in zip(props, values.flatten(), strict=True):
                columns["properties__" + column_name(prop)] = array
        elif fields[key] == TIMESTAMP:
            put_timestamps(columns, column_name(key), values)
        else:
            columns[column_name(key)] = values
    columns["_dlt_load_id"] = pa.array([load_id] * len(records), type=pa.string())
    columns["_dlt_id"] = ids
    return typed_table(columns, not_null={"id", *DLT_COLUMNS})


def typed_table(columns: dict[str, pa.Array], not_null: set[str]) -> pa.Table:
    """With the not-null columns dlt's normalizer declared (its own, a table's key)."""
    fields = [pa.field(n, a.type, nullable=n not in not_null) for n, a in columns.items()]
    return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields))


def _child_table(child: ChildTable, records: list[dict[str, Any]], root: pa.Table) -> pa.Table:
    """The child rows of the page's records, and a tombstone for each record without."""
    wire = child_wire_type(child)
    lists = child.lists(records)
    try:
        nested = pa.array(lists, type=pa.list_(wire))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value that is not text: as dlt coerced it
        lists = [[{k: _as_text(v) for k, v in row.items()} for row in rows or ()] for rows in lists]
        nested = pa.array(lists, type=pa.list_(wire))
    return child_rows(child, nested, root)


def child_wire_type(child: ChildTable) -> pa.StructType:
    """A child row as text (timestamps too), the fields in the table's order."""
    return pa.struct([(k, pa.string()) for k in child.columns])


def child_rows(child: ChildTable, nested: pa.ListArray, root: pa.Table) -> pa.Table:
    """The child table of the records in `root`, from each one's list of rows (`nested`,
    of child_wire_type), and a tombstone for each record without."""
    fields = child.columns
    rows = nested.flatten()
    parents = pc.list_parent_indices(nested)
    offsets = nested.offsets.to_numpy()
    list_idx = np.arange(len(rows)) - offsets[parents.to_numpy()]
    lengths = pc.fill_null(pc.list_value_length(nested), 0)
    empty = pc.indices_nonzero(pc.equal(lengths, 0))  # tombstones remove earlier rows
    parent_ids = pc.take(root.column("id").combine_chunks(), empty)
    columns: dict[str, pa.Array] = {}
    for name, values in zip(fields, rows.flatten(), strict=True):
        if name == child.parent_key:
            values = pa.concat_arrays([values, parent_ids])
        else:
            values = pa.concat_arrays([values, pa.nulls(len(empty), pa.string())])
        if fields[name] == TIMESTAMP:
            put_timestamps(columns, name, values)
        else:
            columns[name] = values
    parent_rows = pa.concat_arrays([parents, empty.cast(parents.type)])
    parent_row_ids = pc.take(root.column("_dlt_id").combine_chunks(), parent_rows)
    columns["_dlt_root_id"] = parent_row_ids
    columns["_dlt_parent_id"] = parent_row_ids
    columns["_dlt_list_idx"] = pa.array(np.concatenate([list_idx, np.zeros(len(empty), np.int64)]))
    columns["_dlt_id"] = row_ids(len(parent_rows))
    columns[DELETED] = pa.array(np.arange(len(parent_rows)) >= len(rows))
    # The parent's id is the merge key, which dlt declares not null (every row has one).
    return typed_table(columns, not_null={*DLT_COLUMNS, child.parent_key})


def unnest_child_tables(pipeline: dlt.Pipeline, names: set[str]) -> None:
    """Warehouses loaded before the Arrow path keep these tables as dlt nested tables
    (replaced through their root's merge); from now on they are merge tables of their own.
    Only dlt's stored schema changes: the tables and their rows stay as they are."""
    if not pipeline.default_schema_name:
        return  # a new pipeline
    schema = pipeline.schemas[pipeline.default_schema_name]
    nested = [t for t in schema.tables.values() if t["name"] in names and t.get("parent")]
    if not nested:
        return
    for table in nested:
        del table["parent"]
        for column in table["columns"].values():
            column.pop("root_key", None)
            column.pop("parent_key", None)
    schema._bump_version()
    pipeline.schemas.save_schema(schema)
