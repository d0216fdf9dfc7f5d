"""The dlt pipeline every CRM connection loads through: its state in
pipelines_dir/<pipeline_name>, its raw tables in the warehouse schema dataset_name, or with
WAREHOUSE_ENGINE=spark as parquet files in the lake folder <lake_path>/<dataset_name>/
(ingestion/lake.py reads them)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, duckdb_config

# dlt's load inserts each parquet file with INSERT ... SELECT: without keeping the files'
# row order DuckDB inserts in parallel (a first load of the large preset: 29 s -> 22 s).
# Raw rows have no order anyone reads (every model orders by its own columns).
LOAD_CONFIG = {"preserve_insertion_order": False}


def crm_pipeline(
    warehouse_path: str,
    pipelines_dir: str,
    pipeline_name: str,
    dataset_name: str,
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
    lake_path: str | None = None,
) -> dlt.Pipeline:
    # dlt compresses its intermediate files by default (gzip, and snappy inside parquet):
    # files read once from local disk a few seconds later. Uncompressed parquet made a
    # first load's landing 3 s faster of 24 (medium preset), for twice the package size.
    os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
    os.environ.setdefault("DATA_WRITER__COMPRESSION", "none")
    # A loaded package keeps its record of the load, not its files: dlt kept them all, and
    # the pipelines folder grew by every load (a first load of medium: 400 MB).
    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
    if lake_path is not None:
        # Plain parquet has no MERGE: dlt appends every load, and the current rows are read
        # through views that keep each key's newest load (ingestion/lake.py). dlt says so for
        # every table on every load: by design here, so not repeated in the run's output.
        destination = dlt.destinations.filesystem(bucket_url=str(lake_path))
        logging.getLogger("dlt").addFilter(_lake_by_design)
    else:
        destination = dlt.destinations.duckdb(
            DuckDbCredentials(
                warehouse_path, global_config=LOAD_CONFIG | duckdb_config(memory_limit)
            )
        )
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination,
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
    )


def _lake_by_design(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not (
        message.startswith("Falling back to `append`") or '"hard_delete" column hint' in message
    )


def built_by_spark(warehouse_path: Path, dataset_name: str) -> bool:
    """Whether the warehouse file's raw schema holds the lake's views (WAREHOUSE_ENGINE=spark
    copies its build there) rather than tables dlt loads."""
    if not warehouse_path.exists():
        return False
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            return bool(
                con.execute(
                    "select 1 from duckdb_views() where schema_name = ? and not internal limit 1",
                    [dataset_name],
                ).fetchall()
            )
    except duckdb.Error:  # locked or not a database: the load says so, in its own words
        return False
