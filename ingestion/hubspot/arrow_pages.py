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


def child_tables(table: str, associations: list[str], history: bool) -> list[ChildTable]:
    """The child tables of one object type: its associations and, for deals, history."""
    out = [
        ChildTable(f"{table}__associations__{kind}__results", "from_id") for kind in associations
    ]
    if history:
        out.append(ChildTable(f"{table}__property_history", "deal_id"))
    return out


def child_hints(child: ChildTable) -> Any:
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
) -> list[tuple[ChildTable | None, pa.Table]]:
    """The record table (child None) and each child table of one page of records.
    `properties` get their columns even when no record of the page has them."""
    if not records:
        return []
    row_ids = _row_ids(len(records))
    root = _record_table(records, row_ids, properties, load_id)
    out: list[tuple[ChildTable | None, pa.Table]] = [(None, root)]
    for child in children:
        out.append((child, _child_table(child, records, row_ids)))
    return out


def _row_ids(n: int) -> pa.Array:
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


def _put_timestamps(columns: dict[str, pa.Array], name: str, values: list[Any]) -> None:
    """ISO-8601 texts as UTC timestamps. A value that is not one is null there and kept
    as text in `<name>__v_text`, the variant column dlt's normalizer made for it."""
    try:
        columns[name] = pc.cast(pa.array(values, type=pa.string()), TIMESTAMP)
        return
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    parsed = [_timestamp(v) for v in values]
    columns[name] = pa.array(parsed, type=TIMESTAMP)
    variant = [_as_text(v) if p is None else None for v, p in zip(values, parsed, strict=True)]
    if any(v is not None for v in variant):
        columns[f"{name}__v_text"] = pa.array(variant, type=pa.string())


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
    records: list[dict[str, Any]], row_ids: pa.Array, properties: list[str], load_id: str
) -> pa.Table:
    keys: dict[str, None] = dict.fromkeys(GUARD_COLUMNS)
    props: dict[str, None] = dict.fromkeys(properties)
    for record in records:
        keys.update(dict.fromkeys(record))
        props.update(dict.fromkeys(record.get("properties") or ()))
    columns: dict[str, pa.Array] = {}
    for key in keys:
        if key in ("properties", "associations", "property_history"):
            continue
        values = [r.get(key) for r in records]
        if key in TIMESTAMP_KEYS:
            _put_timestamps(columns, column_name(key), values)
        elif key in BOOL_KEYS:
            columns[column_name(key)] = _bools(values)
        else:
            columns[column_name(key)] = _text(values)
    for prop in props:
        values = [(r.get("properties") or {}).get(prop) for r in records]
        columns["properties__" + column_name(prop)] = _text(values)
    columns["_dlt_load_id"] = pa.array([load_id] * len(records), type=pa.string())
    columns["_dlt_id"] = row_ids
    return _table(columns, not_null={"id", *DLT_COLUMNS})


def _table(columns: dict[str, pa.Array], not_null: set[str]) -> pa.Table:
    """With the not-null columns dlt's normalizer declared (its own, a table's key)."""
    fields = [pa.field(n, a.type, nullable=n not in not_null) for n, a in columns.items()]
    return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields))


def _child_rows(child: ChildTable, record: dict[str, Any]) -> list[dict[str, Any]]:
    if child.parent_key == "deal_id":
        return record.get("property_history") or []
    kind = child.name.split("__")[2]
    return ((record.get("associations") or {}).get(kind) or {}).get("results") or []


def _child_table(child: ChildTable, records: list[dict[str, Any]], row_ids: pa.Array) -> pa.Table:
    parents: list[int] = []
    list_idx: list[int] = []
    deleted: list[bool] = []
    rows: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        found = _child_rows(child, record)
        if found:
            rows += found
            parents += [i] * len(found)
            list_idx += range(len(found))
            deleted += [False] * len(found)
        else:  # a tombstone: removes the record's rows of an earlier load
            rows.append({child.parent_key: record.get("id")})
            parents.append(i)
            list_idx.append(0)
            deleted.append(True)
    if child.parent_key == "deal_id":
        types = HISTORY_COLUMNS
    else:
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        types = {column_name(n): pa.string() for n in names}
        types.setdefault(child.parent_key, pa.string())
    columns: dict[str, pa.Array] = {}
    for name, kind in types.items():
        values = [row.get(name) for row in rows]
        if kind == TIMESTAMP:
            _put_timestamps(columns, name, values)
        else:
            columns[name] = _text(values)
    parent_ids = row_ids.take(pa.array(parents, type=pa.int64()))
    columns["_dlt_root_id"] = parent_ids
    columns["_dlt_parent_id"] = parent_ids
    columns["_dlt_list_idx"] = pa.array(list_idx, type=pa.int64())
    columns["_dlt_id"] = _row_ids(len(rows))
    columns[DELETED] = pa.array(deleted, type=pa.bool_())
    return _table(columns, not_null=DLT_COLUMNS)


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
