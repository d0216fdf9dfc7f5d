"""Sandbox paging benchmark: `python -m ingestion.sandbox.bench --preset medium`.

Pages sequentially through one object type over keep-alive HTTP, as a connector does, and
prints records/s. The sandbox must never be the bottleneck of a pipeline benchmark
(target: >= 50,000 records/s on a 2-core machine). `make bench` (orchestration/bench/)
calls `measure_paging` as the first of its measurements.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import httpx
import orjson

from ingestion.sandbox.generator import PRESETS
from ingestion.sandbox.runner import sandbox_process

TARGET_RECORDS_PER_S = 50_000
PAGING_OBJECT = "calls"
PAGING_MAX_RECORDS = 300_000


def page_through(
    base_url: str,
    token: str,
    object_type: str,
    max_records: int,
    on_page: Callable[[int], None] | None = None,
) -> tuple[int, float]:
    """Records read and seconds taken; on_page(n) is told each page's record count."""
    headers = {"Authorization": f"Bearer {token}"}
    params = {"limit": 100, "properties": "hs_timestamp,hubspot_owner_id,hs_lastmodifieddate"}
    n, after = 0, None
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        started = time.perf_counter()
        while n < max_records:
            resp = client.get(
                f"/crm/v3/objects/{object_type}",
                params=params | ({"after": after} if after else {}),
            )
            resp.raise_for_status()
            body = orjson.loads(resp.content)
            n += len(body["results"])
            if on_page is not None:
                on_page(len(body["results"]))
            after = body.get("paging", {}).get("next", {}).get("after")
            if not after:
                break
        return n, time.perf_counter() - started


def measure_paging(
    base_url: str,
    token: str,
    object_type: str = PAGING_OBJECT,
    max_records: int = PAGING_MAX_RECORDS,
    on_page: Callable[[int], None] | None = None,
) -> tuple[int, float]:
    """A short warm-up, then up to max_records paged sequentially: (records, seconds)."""
    page_through(base_url, token, object_type, 2_000)
    return page_through(base_url, token, object_type, max_records, on_page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="medium", choices=sorted(PRESETS))
    parser.add_argument("--object", default=PAGING_OBJECT)
    parser.add_argument("--max-records", type=int, default=PAGING_MAX_RECORDS)
    args = parser.parse_args(argv)
    print(f"==> generating the {args.preset} organisation and starting the sandbox", flush=True)
    t0 = time.perf_counter()
    with sandbox_process(args.preset, timeout=1800) as sb:
        print(f"    ready in {time.perf_counter() - t0:.0f}s", flush=True)
        print(f"==> paging /crm/v3/objects/{args.object} sequentially, 100 per page", flush=True)
        n, seconds = measure_paging(sb.base_url, sb.token, args.object, args.max_records)
    rate = n / seconds
    verdict = "OK" if rate >= TARGET_RECORDS_PER_S else "BELOW TARGET"
    print(
        f"sandbox paging: {n:,} records in {seconds:.2f}s = {rate:,.0f} records/s "
        f"(target {TARGET_RECORDS_PER_S:,}/s: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
