"""Baseline: every listing the connector reads, fetched with plain httpx into
newline-delimited JSON files and loaded by DuckDB's built-in read_json."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import httpx
import orjson

from ingestion.sandbox.runner import RunningSandbox
from ingestion.settings import duckdb_config
from orchestration.bench.children import run_child
from orchestration.bench.common import BenchError
from orchestration.bench.progress import Progress, say

if TYPE_CHECKING:
    from orchestration.bench.sections import Bench


def measure(bench: Bench, sb: RunningSandbox) -> None:
    say("baseline: the same listings fetched with plain httpx, loaded by DuckDB's read_json")
    files, bench.pages, fetched, bench.fetch_seconds = fetch_raw_json(sb, bench.workdir / "json")
    bench.expected_records = fetched
    result, rss = run_child(
        "read_json",
        {"db": str(bench.workdir / "read_json.duckdb"), "tables": files},
        bench.workdir,
        sb.token,
    )
    bench.read_json_seconds = result["seconds"]
    bench.read_json_table_seconds = result["table_seconds"]
    bench.baseline_counts = result["counts"]
    loaded = sum(result["counts"].values())
    if loaded != fetched:
        bench.report.note(f"read_json loaded {loaded:,} rows of {fetched:,} records fetched.")
    bench.report.add(
        "Raw JSON fetch (plain httpx, sequential)",
        f"{fetched / bench.fetch_seconds:,.0f} records/s ({fetched:,} in {bench.fetch_seconds:.1f} s)",
    )
    bench.report.add(
        f"DuckDB read_json load (json {result['json_extension'].lower()})",
        f"{loaded / bench.read_json_seconds:,.0f} records/s ({loaded:,} in {bench.read_json_seconds:.1f} s)",
    )
    bench.peak("read_json process", rss)


def child_read_json(spec: dict) -> dict:
    # No extension is installed or loaded: json is part of the duckdb wheel.
    con = duckdb.connect(
        spec["db"],
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            **duckdb_config(),  # the pipeline's default memory limit, as the landing has
        },
    )
    mode = con.execute(
        "select install_mode from duckdb_extensions() where extension_name = 'json' and loaded"
    ).fetchone()
    if not mode:
        raise BenchError("DuckDB's json extension is not built in here")
    tables: dict[str, list[str]] = spec["tables"]
    with Progress("    read_json", total=len(tables), unit="table") as bar:
        started = time.perf_counter()
        table_seconds = {}
        for name, files in tables.items():
            bar.postfix(name)
            began = time.perf_counter()
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(
                f'create table "{name}" as select * from read_json([{listing}], '
                "format = 'newline_delimited', union_by_name = true)"
            )
            con.execute("checkpoint")
            table_seconds[name] = time.perf_counter() - began
            bar.update()
        seconds = time.perf_counter() - started
    counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    con.close()
    return {
        "seconds": seconds,
        "table_seconds": table_seconds,
        "counts": counts,
        "json_extension": mode[0],
    }


def listings() -> Iterator[tuple[str, str, dict, bool]]:
    """(table, path, params, paged) for every listing the connector reads on a first run,
    with the same properties, property history and associations."""
    from ingestion.hubspot.source import (
        ARCHIVABLE,
        ASSOCIATIONS,
        DEAL_HISTORY_PROPERTIES,
        INCREMENTAL,
        OBJECT_PROPERTIES,
    )

    yield "owners", "/crm/v3/owners", {"limit": 500}, True
    yield "deal_pipelines", "/crm/v3/pipelines/deals", {}, False
    for name, props in OBJECT_PROPERTIES.items():
        params: dict = {"properties": ",".join(props), "limit": 100}
        if name in INCREMENTAL and name == "deals":
            params |= {"propertiesWithHistory": ",".join(DEAL_HISTORY_PROPERTIES), "limit": 50}
        if name in INCREMENTAL and ASSOCIATIONS.get(name):
            params["associations"] = ",".join(ASSOCIATIONS[name])
        yield name, f"/crm/v3/objects/{name}", params, True
    for name in ARCHIVABLE:
        params = {"archived": "true", "properties": ",".join(OBJECT_PROPERTIES[name]), "limit": 100}
        yield name, f"/crm/v3/objects/{name}", params, True


def fetch_raw_json(
    sb: RunningSandbox, outdir: Path
) -> tuple[dict[str, list[str]], list[list], int, float]:
    """Every page of every listing into newline-delimited JSON, records exactly as served,
    and every answer's body as it came, one per line (what the connector's landing
    starts from): (record files per table, [table, archived, pages file] per listing,
    records, seconds)."""
    outdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = defaultdict(list)
    pages: list[list] = []
    total = 0
    headers = {"Authorization": f"Bearer {sb.token}"}
    with (
        httpx.Client(base_url=sb.base_url, headers=headers, timeout=120) as client,
        Progress("    fetch raw JSON", unit="rec") as bar,
    ):
        started = time.perf_counter()
        for i, (table, path, params, paged) in enumerate(listings()):
            bar.postfix(table + (" (archived)" if params.get("archived") else ""))
            file = outdir / f"{i:02d}_{table}.ndjson"
            answers = outdir / f"{i:02d}_{table}.pages"
            n, after = 0, None
            with open(file, "wb") as out, open(answers, "wb") as bodies:
                while True:
                    resp = client.get(path, params=params | ({"after": after} if after else {}))
                    resp.raise_for_status()
                    bodies.write(resp.content.replace(b"\n", b" ") + b"\n")
                    body = orjson.loads(resp.content)
                    results = body.get("results") or []
                    if results:
                        out.write(b"\n".join(orjson.dumps(r) for r in results) + b"\n")
                    n += len(results)
                    bar.update(len(results))
                    after = ((body.get("paging") or {}).get("next") or {}).get("after")
                    if not paged or not after:
                        break
            if n:
                files[table].append(str(file))
                pages.append([table, params.get("archived") == "true", str(answers)])
                total += n
        seconds = time.perf_counter() - started
    return dict(files), pages, total, seconds
