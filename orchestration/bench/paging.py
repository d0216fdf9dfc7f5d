"""Paging: the sandbox's own paging rate (ingestion/sandbox/bench.py)."""

from __future__ import annotations

from ingestion.sandbox.bench import PAGING_OBJECT, TARGET_RECORDS_PER_S, measure_paging
from ingestion.sandbox.runner import RunningSandbox
from orchestration.bench.progress import Progress, say
from orchestration.bench.report import Report


def measure(report: Report, sb: RunningSandbox) -> None:
    say(f"sandbox paging: /crm/v3/objects/{PAGING_OBJECT}, 100 per page")
    with Progress("    paging", unit="rec") as bar:
        n, seconds = measure_paging(sb.base_url, sb.token, on_page=bar.update)
    rate = n / seconds
    report.add(
        f"Sandbox paging ({PAGING_OBJECT}, 100 per page)",
        f"{rate:,.0f} records/s ({n:,} in {seconds:.1f} s)",
        f">= {TARGET_RECORDS_PER_S:,} records/s",
        rate >= TARGET_RECORDS_PER_S,
    )
