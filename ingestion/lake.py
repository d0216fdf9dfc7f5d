"""The raw layer of WAREHOUSE_ENGINE=spark: dlt's parquet files in the lake, read as tables.

dlt's filesystem destination writes each load of a raw table as new parquet files in
<lake>/<dataset>/<table>/ (plain parquet has no MERGE: dlt appends, and says it does). The
rows a model reads are those the DuckDB destination's merge would have kept, worked out
from the table's hints in dlt's own schema (stored beside the files, in _dlt_version/):

- a table with a primary key: each key's row of the newest load (also of a first load
  appended without merging);
- a table with a merge key (the child tables, keyed on the parent's id): every row of each
  key's newest load;
- either way, rows flagged by a hard-delete column (the child tables' tombstones, _dlt_deleted)
  are left out after that, so a tombstone removes its key's older rows;
- a dlt nested table (owners__teams: _dlt_parent_id): the rows of its parent's current rows;
- any other table (append, replace): every row.

`current_rows_sql` is that selection, written once for both engines: Spark reads it over
an external table of the folder (dbt macro register_lake_tables), DuckDB over read_parquet
of the same files (the Spark build's copy into the DuckDB file, orchestration/spark/).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DLT_TABLES = "_dlt_"  # dlt's own tables (loads, versions, state): not raw CRM data
# The load a row came in: dlt names each file <load id>.<file id>.parquet (not every table
# has a _dlt_load_id column: the connector's child tables have none). Both engines run it.
LOAD_OF_FILE = "regexp_extract({path}, '([0-9]+[.][0-9]+)[.][^/.]+[.]parquet$', 1)"
LOAD = "_lake_load_id"


@dataclass(frozen=True)
class LakeTable:
    dataset: str  # the raw schema, raw_<connection>
    name: str
    columns: tuple[str, ...]
    primary_key: tuple[str, ...] = ()
    merge_key: tuple[str, ...] = ()
    deleted_column: str | None = None
    parent: LakeTable | None = None  # a dlt nested table's parent (rows of its current rows)

    def folder(self, lake: Path) -> Path:
        return lake / self.dataset / self.name


def stored_schemas(lake: Path, dataset: str) -> list[dict]:
    """dlt's stored schemas of a dataset in the lake, oldest first (none: nothing loaded)."""
    records = [
        json.loads(line)
        for path in (lake / dataset / "_dlt_version").glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    records.sort(key=lambda r: (r["version"], r["inserted_at"]))
    return [json.loads(r["schema"]) for r in records]


def lake_tables(lake: Path, dataset: str) -> list[LakeTable]:
    """The raw tables of one dataset that have files, with their keys, in name order.

    Columns and parents are the newest schema's. A key is a key whatever the load that
    declared it: a table's first load is appended without its merge key (nothing to
    replace yet), and its later loads are merged on it."""
    schemas = stored_schemas(lake, dataset)
    if not schemas:
        return []
    hints: dict[str, dict[str, set[str]]] = {}
    for schema in schemas:
        for name, table in schema["tables"].items():
            for column, column_hints in table["columns"].items():
                found = {
                    h for h in ("primary_key", "merge_key", "hard_delete") if column_hints.get(h)
                }
                hints.setdefault(name, {}).setdefault(column, set()).update(found)
    newest = schemas[-1]["tables"]
    built: dict[str, LakeTable] = {}

    def build(name: str) -> LakeTable:
        if name not in built:
            table = newest[name]
            columns = [c for c, h in table["columns"].items() if h.get("data_type")]
            keyed = hints.get(name, {})
            built[name] = LakeTable(
                dataset,
                name,
                tuple(columns),
                tuple(c for c in columns if "primary_key" in keyed.get(c, ())),
                tuple(c for c in columns if "merge_key" in keyed.get(c, ())),
                next((c for c in columns if "hard_delete" in keyed.get(c, ())), None),
                build(table["parent"]) if table.get("parent") else None,
            )
        return built[name]

    return [
        build(name)
        for name in sorted(newest)
        if not name.startswith(DLT_TABLES) and any((lake / dataset / name).glob("*.parquet"))
    ]


def current_rows_sql(
    table: LakeTable, history: Callable[[LakeTable], str], quote: str = '"'
) -> str:
    """A SELECT of the table's current rows, in SQL both DuckDB and Spark run; `history`
    gives the relation of a table's every load with the column _lake_load_id, `quote` is
    the engine's identifier quote."""

    def q(name: str) -> str:
        return f"{quote}{name}{quote}"

    columns = ", ".join(q(c) for c in table.columns)
    rows = history(table)
    kept = f" and not coalesce({q(table.deleted_column)}, false)" if table.deleted_column else ""
    if table.parent is not None:
        # a nested table (dlt's _dlt_parent_id): the rows of its parent's current rows
        parent = current_rows_sql(table.parent, history, quote)
        return (
            f"select {columns} from {rows} where {q('_dlt_parent_id')} in "
            f"(select p.{q('_dlt_id')} from ({parent}) as p)"
        )
    if table.primary_key:
        keys = ", ".join(q(c) for c in table.primary_key)
        # the newest load's row; two rows of one key in one load: the larger _dlt_id
        order = f"{LOAD} desc" + (f", {q('_dlt_id')} desc" if "_dlt_id" in table.columns else "")
        return (
            f"select {columns} from (select {columns}, row_number() over (partition by {keys} "
            f"order by {order}) as _row_of_key from {rows}) as h where _row_of_key = 1{kept}"
        )
    if table.merge_key:
        keys = ", ".join(q(c) for c in table.merge_key)
        return (
            f"select {columns} from (select {columns}, {LOAD}, max({LOAD}) over "
            f"(partition by {keys}) as _newest_load from {rows}) as h "
            f"where {LOAD} = _newest_load{kept}"
        )
    return f"select {columns} from {rows}" + (f" where true{kept}" if kept else "")


def duckdb_history(lake: Path) -> Callable[[LakeTable], str]:
    """Every load's rows of a lake table, for DuckDB (its parquet reader is built in)."""

    def history(table: LakeTable) -> str:
        files = str(table.folder(lake) / "*.parquet").replace("'", "''")
        load = LOAD_OF_FILE.format(path="filename")
        return (
            f"(select *, {load} as {LOAD} "
            f"from read_parquet('{files}', union_by_name = true, filename = true)) as loads"
        )

    return history


def spark_history(table: LakeTable) -> str:
    """Every load's rows of a lake table, on Spark: the external table over its folder."""
    load = LOAD_OF_FILE.format(path="_metadata.file_path")
    return f"(select *, {load} as {LOAD} from `{table.dataset}_loads`.`{table.name}`) as loads"


def spark_registration(lake: Path, datasets: list[str]) -> list[dict[str, str]]:
    """What dbt's register_lake_tables macro creates on Spark, per raw table: the external
    table `<dataset>_loads.<table>` over the folder (every load), and the view
    `<dataset>.<table>` of its current rows, which the models read."""
    registered = []
    for dataset in datasets:
        for table in lake_tables(lake, dataset):
            registered.append(
                {
                    "schema": dataset,
                    "table": table.name,
                    "location": str(table.folder(lake).resolve()),
                    "current_rows": current_rows_sql(table, spark_history, quote="`"),
                }
            )
    return registered
