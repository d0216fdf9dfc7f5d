"""After a Spark build: the build's tables copied into the DuckDB warehouse file, so the
checks, the quarantine share, the reports and the publish read the same relations whatever
engine built them (one contract for BI: serving.duckdb).

- every table dbt built on Spark (tables and incremental models; views are Spark SQL and
  stay there) is read from its parquet files under <lake>/warehouse/<schema>.db/<table>/
  with DuckDB's built-in parquet reader, with the table and column comments of the dbt docs
  (dbt-spark keeps them in the Spark metastore only);
- each raw table of the lake becomes a view of its current rows over dlt's parquet files
  (ingestion/lake.py), which the quarantine share and the freshness checks count.

All in one transaction: a reader sees the previous copy or this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.lake import current_rows_sql, duckdb_history, lake_tables
from ingestion.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, duckdb_config
from orchestration.publish.serving import _literal, _quote

COPIED = ("table", "incremental")


class EngineMismatch(ValueError):
    """The warehouse file was built by the other engine; the message says what to do."""


@dataclass(frozen=True)
class BuiltTable:
    schema: str
    name: str
    comment: str
    column_comments: dict[str, str]

    def folder(self, lake: Path) -> Path:
        # Spark's managed tables: <spark.sql.warehouse.dir>/<database>.db/<table>
        return lake / "warehouse" / f"{self.schema}.db" / self.name


def built_tables(manifest_path: Path) -> list[BuiltTable]:
    """The tables of a dbt run's manifest, with the comments dbt's persist_docs would add."""
    manifest = json.loads(manifest_path.read_text())
    tables = []
    for node in manifest["nodes"].values():
        config = node.get("config", {})
        if node["resource_type"] != "model" or config.get("materialized") not in COPIED:
            continue
        if not config.get("enabled", True):
            continue
        docs = config.get("persist_docs") or {}
        tables.append(
            BuiltTable(
                node["schema"],
                (node.get("alias") or node["name"]).lower(),
                node.get("description", "") if docs.get("relation") else "",
                {
                    name: column["description"]
                    for name, column in node.get("columns", {}).items()
                    if docs.get("columns") and column.get("description")
                },
            )
        )
    return sorted(tables, key=lambda t: (t.schema, t.name))


def copy_to_duckdb(
    manifest_path: Path,
    lake: Path,
    raw_schemas: list[str],
    warehouse_path: Path,
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
) -> dict[str, int]:
    """Copies the Spark build into the DuckDB file; the rows of each table copied."""
    tables = built_tables(manifest_path)
    missing = [f"{t.schema}.{t.name}" for t in tables if not any(t.folder(lake).glob("*.parquet"))]
    if missing:
        raise FileNotFoundError(
            f"the Spark build's tables are not under {lake / 'warehouse'} "
            f"({', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}): is LAKE_PATH "
            "the lake the build wrote to?"
        )
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    copied: dict[str, int] = {}
    with duckdb.connect(str(warehouse_path), config=duckdb_config(memory_limit)) as con:
        loaded = con.execute(
            "select schema_name from duckdb_tables() where schema_name in ? limit 1",
            [raw_schemas or [""]],
        ).fetchall()
        if loaded:
            raise EngineMismatch(
                f"{warehouse_path} holds raw tables the DuckDB engine loaded "
                f"({loaded[0][0]}): give WAREHOUSE_ENGINE=spark a WAREHOUSE_PATH of its own"
            )
        con.execute("set preserve_insertion_order = false")
        con.execute("begin")
        for schema in sorted({t.schema for t in tables} | set(raw_schemas)):
            con.execute(f"create schema if not exists {_quote(schema)}")
        for table in tables:
            target = f"{_quote(table.schema)}.{_quote(table.name)}"
            files = _literal(str(table.folder(lake) / "*.parquet"))
            con.execute(f"create or replace table {target} as select * from read_parquet({files})")
            if table.comment:
                con.execute(f"comment on table {target} is {_literal(table.comment)}")
            columns = {row[0] for row in con.execute(f"describe {target}").fetchall()}
            for column, comment in table.column_comments.items():
                if column in columns:
                    con.execute(
                        f"comment on column {target}.{_quote(column)} is {_literal(comment)}"
                    )
            copied[f"{table.schema}.{table.name}"] = con.execute(
                f"select count(*) from {target}"
            ).fetchone()[0]
        for schema in raw_schemas:
            for raw in lake_tables(lake, schema):
                con.execute(
                    f"create or replace view {_quote(schema)}.{_quote(raw.name)} as "
                    + current_rows_sql(raw, duckdb_history(lake))
                )
        con.execute("commit")
    return copied
