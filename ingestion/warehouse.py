"""The dlt pipeline every CRM connection loads through: its state in
pipelines_dir/<pipeline_name>, its raw tables in the warehouse schema dataset_name."""

from __future__ import annotations

import os

import dlt
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
) -> dlt.Pipeline:
    # dlt compresses its intermediate files by default (gzip, and snappy inside parquet):
    # files read once from local disk a few seconds later. Uncompressed parquet made a
    # first load's landing 3 s faster of 24 (medium preset), for twice the package size.
    os.environ.setdefault("DATA_WRITER__DISABLE_COMPRESSION", "true")
    os.environ.setdefault("DATA_WRITER__COMPRESSION", "none")
    # A loaded package keeps its record of the load, not its files: dlt kept them all, and
    # the pipelines folder grew by every load (a first load of medium: 400 MB).
    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(
            DuckDbCredentials(
                warehouse_path, global_config=LOAD_CONFIG | duckdb_config(memory_limit)
            )
        ),
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
    )
