"""Extract + load: the dlt pipeline (extract, normalize, load as parquet) into a fresh
DuckDB file, in a child process, compared with read_json; and the landing alone (loader
against loader): the connector's code from the answers' bodies saved by the baseline to
the raw tables (parsing, record guards, Arrow tables, dlt's load), against read_json of
the same records from disk."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingestion.hubspot.cpu import CPU_BOUND, fewer_collections
from ingestion.hubspot.json_answers import Answer, next_after
from ingestion.sandbox.runner import RunningSandbox
from orchestration.bench.children import run_child
from orchestration.bench.common import TOKEN_ENV, UNLIMITED, BenchError
from orchestration.bench.progress import Progress, say

if TYPE_CHECKING:
    from orchestration.bench.sections import Bench


MAX_LANDING_VS_READ_JSON = 3.0  # landing the pages / read_json of the same records


def measure(bench: Bench, sb: RunningSandbox) -> None:
    say("extract + load: the dlt pipeline into a fresh DuckDB file (parquet loads)")
    spec = {
        "db": str(bench.workdir / "extract" / "raw.duckdb"),
        "base_url": sb.base_url,
        "expected": bench.expected_records,
    }
    (bench.workdir / "extract").mkdir()
    result, bench.extract_rss = run_child("extract", spec, bench.workdir, sb.token)
    bench.extract_seconds = result["seconds"]
    n = sum(result["counts"].values())
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in result["phases"].items() if k != "run")
    bench.report.add(
        "Extract + load (dlt -> DuckDB, parquet)",
        f"{n / bench.extract_seconds:,.0f} records/s ({n:,} in {bench.extract_seconds:.1f} s: {phases})",
    )
    base = bench.baseline_counts
    if base is not None:
        differ = {
            t: (result["counts"].get(t, 0), base.get(t, 0))
            for t in set(base) | set(result["counts"])
            if result["counts"].get(t, 0) != base.get(t, 0)
        }
        if differ:
            bench.report.note(
                "Rows differ between the dlt load and read_json (dlt, read_json): "
                + ", ".join(f"{t} {a:,}/{b:,}" for t, (a, b) in sorted(differ.items()))
                + " (dlt merges on id, read_json keeps every served record)."
            )


def measure_landing(bench: Bench, sb: RunningSandbox) -> None:
    if not bench.pages or bench.read_json_table_seconds is None:
        raise BenchError("the landing needs the baseline's saved answers (do not skip baseline)")
    from ingestion.hubspot.source import OBJECT_PROPERTIES

    say("landing: the connector's code from the saved answers to the raw tables (no HTTP)")
    (bench.workdir / "landing").mkdir()
    # The CRM objects' listings: all but owners and pipelines (a few dozen rows, loaded
    # through dlt's rest_api source).
    pages = [p for p in bench.pages if p[0] in OBJECT_PROPERTIES]
    spec = {"db": str(bench.workdir / "landing" / "raw.duckdb"), "pages": pages}
    result, rss = run_child("landing", spec, bench.workdir, sb.token)
    landed = {table for table, _, _ in pages}
    read_json = sum(s for t, s in bench.read_json_table_seconds.items() if t in landed)
    n = sum(result["counts"].values())
    seconds = result["seconds"]
    bench.report.add(
        "Landing the answers (parse, guard, Arrow, dlt load)",
        f"{n:,} records in {seconds:.1f} s ({n / seconds:,.0f} records/s)",
    )
    ratio = seconds / read_json
    bench.report.add(
        "Landing time / read_json time of the same records",
        f"{ratio:.1f}x ({seconds:.1f} s / {read_json:.1f} s)",
        f"<= {MAX_LANDING_VS_READ_JSON:g}x",
        ratio <= MAX_LANDING_VS_READ_JSON,
    )
    bench.peak("landing process", rss)


def child_landing(spec: dict) -> dict:
    from ingestion.hubspot.source import (
        ServedIds,
        hubspot_pipeline,
        listing_shape,
        new_tables,
        object_resource,
    )

    db = Path(spec["db"])
    pipeline = hubspot_pipeline(str(db), str(db.parent / ".dlt_pipelines"))
    # A first load, as the connector's first run makes it (hubspot_source): the answers'
    # bodies, their records' newest updatedAt kept as the cursor.
    served = {table: ServedIds() for table in new_tables(pipeline)}
    clock = datetime.now(UTC)
    resources = [
        object_resource(
            table,
            partial(_saved_pages, file),
            archived=archived,
            first_load=served.get(table),
            shape=listing_shape(table, archived=archived),
            crm_clock=None if archived else clock,
        )
        for table, archived, file in spec["pages"]
    ]
    started = time.perf_counter()
    with fewer_collections():  # as the connector's raw step (orchestration/defs/ingestion.py)
        pipeline.run(resources, loader_file_format="parquet")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "counts": main_table_counts(db, "raw_hubspot")}


def _saved_pages(file: str) -> Iterator[Answer]:
    with open(file, "rb") as answers:
        for line in answers:
            body = line.rstrip(b"\n")  # an answer's body, as the connector receives it
            with CPU_BOUND:  # as the connector reads an answer's cursor (changes.list_pages)
                next_after(body)
            yield Answer(body)


def report_ratio(bench: Bench) -> None:
    if bench.extract_seconds is None or bench.read_json_seconds is None:
        return
    bench.report.add(
        "Extract+load time / read_json time",
        f"{bench.extract_seconds / bench.read_json_seconds:.1f}x",
    )
    both = bench.read_json_seconds + (bench.fetch_seconds or 0)
    bench.report.add(
        "Extract+load time / (httpx fetch + read_json) time",
        f"{bench.extract_seconds / both:.1f}x",
    )


def child_extract(spec: dict) -> dict:
    from ingestion.hubspot.source import hubspot_pipeline, hubspot_source, new_tables

    db = Path(spec["db"])
    pipeline = hubspot_pipeline(str(db), str(db.parent / ".dlt_pipelines"))
    pipeline.collector = _dlt_progress(spec.get("expected"))
    source = hubspot_source(
        spec["base_url"],
        os.environ[TOKEN_ENV],
        max_requests_per_10s=UNLIMITED,
        first_load=new_tables(pipeline),
    )
    started = time.perf_counter()
    with fewer_collections():  # as the connector's raw step (orchestration/defs/ingestion.py)
        pipeline.run(source, loader_file_format="parquet")
    seconds = time.perf_counter() - started
    phases = {
        s.step: (s.finished_at - s.started_at).total_seconds()
        for s in pipeline.last_trace.steps
        if s.started_at and s.finished_at
    }
    return {"seconds": seconds, "phases": phases, "counts": main_table_counts(db, "raw_hubspot")}


def _dlt_progress(expected: int | None):
    """A dlt progress collector: records extracted (of those expected), rows normalized,
    load jobs done."""
    from dlt.common.runtime.collector_base import Collector

    class BenchCollector(Collector):
        def __init__(self) -> None:
            self.bar: Progress | None = None
            self.step = ""

        def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None):
            if self.bar is None or label:
                return
            step = self.step.lower()
            if step.startswith("extract") and name != "Resources":
                self.bar.update(inc)
            elif step.startswith("normalize") and name not in ("Files", "Items"):
                self.bar.update(inc)
            elif step.startswith("load") and name == "Jobs":
                if total:
                    self.bar.set_total(total)
                elif inc_total:
                    self.bar.set_total((self.bar.total or 0) + inc_total)
                self.bar.update(inc)

        def _start(self, step: str) -> None:
            name = step.lower().split()[0] if step else "dlt"
            unit = {"extract": "rec", "normalize": "row", "load": "job"}.get(name, "it")
            total = expected if name == "extract" else None
            self.bar = Progress(f"    dlt {name}", total=total, unit=unit)

        def _stop(self) -> None:
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return BenchCollector()


def main_table_counts(db: Path, schema: str) -> dict[str, int]:
    """Rows per main raw table: no nested child tables (`a__b`), no dlt bookkeeping, no
    `extractions` (one row per run, not a CRM record)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                [schema],
            ).fetchall()
            if "__" not in t and not t.startswith("_dlt") and t != "extractions"
        ]
        return {
            t: con.execute(f'select count(*) from {schema}."{t}"').fetchone()[0] for t in tables
        }
    finally:
        con.close()
