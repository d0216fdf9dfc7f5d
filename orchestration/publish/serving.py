"""Write `serving.duckdb`: the tables BI reads, copied from the build warehouse into a new
file that then atomically replaces the old one.

BI never opens the build file. Readers holding the old serving file keep reading it (the
rename swaps the directory entry, not their open file); the next connection sees the new
one. The file is written in DuckDB's v1.5.0 storage format, which Metabase's DuckDB
driver (DuckDB 1.5) can open.

A publish killed midway leaves its `.serving.duckdb.<pid>.tmp` (and `.wal`) behind; the
next publish removes those of processes that are gone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, duckdb_config
from orchestration.lib.catalog import served_schemas
from orchestration.lib.processes import process_alive

STORAGE_VERSION = "v1.5.0"


@dataclass
class Published:
    path: Path
    tables: dict[str, int]
    leftovers_removed: list[Path] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def remove_dead_writers_files(serving_path: Path) -> list[Path]:
    """Delete the temporary files (`.<name>.<pid>.tmp` and its `.wal`) of publishes whose
    process is gone; a live publish's files are left alone."""
    pattern = re.compile(rf"\.{re.escape(serving_path.name)}\.(\d+)\.tmp(\.wal)?")
    removed = []
    for path in sorted(serving_path.parent.glob(f".{serving_path.name}.*")):
        match = pattern.fullmatch(path.name)
        try:
            if match and not process_alive(int(match[1]), path.stat().st_mtime):
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # removed meanwhile
    return removed


def publish_serving_file(
    build_path: Path,
    serving_path: Path,
    run_id: str,
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
) -> Published:
    """Copy the served schemas (of the dbt models marked `served`) with their comments;
    swap the new file in atomically."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    leftovers = remove_dead_writers_files(serving_path)
    tmp = serving_path.with_name(f".{serving_path.name}.{os.getpid()}.tmp")
    wal = tmp.with_name(f"{tmp.name}.wal")  # an old one would be replayed into the new file
    tmp.unlink(missing_ok=True)
    wal.unlink(missing_ok=True)
    con = duckdb.connect(config=duckdb_config(memory_limit))
    # Rows are copied in parallel, in no particular order (BI sorts; a table's order means
    # nothing): the largest fact copies a third faster.
    con.execute("set preserve_insertion_order = false")
    tables: dict[str, int] = {}
    try:
        con.execute(f"attach {_literal(str(build_path))} as build (read_only)")
        con.execute(f"attach {_literal(str(tmp))} as serving (storage_version '{STORAGE_VERSION}')")
        rows = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where database_name = 'build' and schema_name in ? order by 1, 2",
            [list(served_schemas())],
        ).fetchall()
        for schema in sorted({r[0] for r in rows}):
            con.execute(f"create schema serving.{_quote(schema)}")
        for schema, table, comment in rows:
            target = f"serving.{_quote(schema)}.{_quote(table)}"
            con.execute(
                f"create table {target} as select * from build.{_quote(schema)}.{_quote(table)}"
            )
            if comment:
                con.execute(f"comment on table {target} is {_literal(comment)}")
            for column, col_comment in con.execute(
                "select column_name, comment from duckdb_columns() where database_name = 'build' "
                "and schema_name = ? and table_name = ? and comment is not null",
                [schema, table],
            ).fetchall():
                con.execute(
                    f"comment on column {target}.{_quote(column)} is {_literal(col_comment)}"
                )
            tables[f"{schema}.{table}"] = con.execute(f"select count(*) from {target}").fetchone()[
                0
            ]
        as_of = con.execute("select as_of_at from build.intermediate.int_data_as_of").fetchone()[0]
        con.execute(
            "create table serving.main.publication as select ? as published_at, "
            "? as data_as_of, ? as dagster_run_id",
            [datetime.now(UTC), as_of, run_id],
        )
        con.execute(
            "comment on table serving.main.publication is 'When this file was published, the moment its CRM data describes, and the Dagster run that built it.'"
        )
        con.execute("checkpoint serving")
        con.execute("detach serving")
        con.execute("detach build")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, serving_path)  # atomic on POSIX: readers see the old or the new file
    return Published(serving_path, tables, leftovers)
