"""Rate-limited extraction: from a sandbox allowing 100 (then 190) requests per 10 s,
with the client limited to the same: how much of the limit is used, that no request was
refused, and how much CPU the client spends on it (the whole run: requests, parsing,
landing, dlt's load), as a share of one core: the API must be the only limit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from ingestion.sandbox.runner import sandbox_process
from orchestration.bench.common import BenchError
from orchestration.bench.progress import Progress, say
from orchestration.bench.report import Report

MIN_UTILISATION = 0.90  # of the API rate limit, over whole windows
RATE_LIMITS = (100, 190)  # requests per rolling 10 s (HubSpot's lowest and highest tiers)
MAX_CLIENT_CPU = 0.10  # of one core, while extracting at the limit
RATE_WINDOW = 10.0
RATE_LIMIT_PRESET = "small"  # enough requests for several windows at 100 per 10 s
# At 190 per 10 s the small organisation is read in two windows: twice its history is
# read in about four.
HISTORY_MONTHS = {190: 48}
MIN_WINDOWS = 3


def measure(report: Report, seed: int, workdir: Path) -> None:
    for limit in RATE_LIMITS:
        measure_at(report, seed, workdir / f"ratelimit_{limit}", limit)


def measure_at(report: Report, seed: int, workdir: Path, limit: int) -> None:
    faults = f"rate_limit={limit},rate_window={RATE_WINDOW:g}"
    say(
        f"rate-limited extraction: {RATE_LIMIT_PRESET} sandbox allowing {limit} requests "
        f"per {RATE_WINDOW:g} s, client limited to {limit}"
    )
    from ingestion.hubspot.source import hubspot_pipeline, hubspot_source

    extra: tuple[str, ...] = ("--faults", faults)
    if limit in HISTORY_MONTHS:
        extra += ("--history-months", str(HISTORY_MONTHS[limit]))
    with sandbox_process(RATE_LIMIT_PRESET, seed, timeout=600, extra_args=extra) as sb:
        stats_url = f"{sb.base_url}/_sandbox/faults"
        db = workdir / "raw.duckdb"
        db.parent.mkdir()
        pipeline = hubspot_pipeline(str(db), str(db.parent / ".dlt_pipelines"))
        source = hubspot_source(sb.base_url, sb.token, max_requests_per_10s=limit)
        samples: list[tuple[float, int, int]] = []  # (time, requests, refused)
        halt = threading.Event()
        poller_cpu: list[float] = []

        def poll(bar: Progress) -> None:
            with httpx.Client(
                timeout=10, headers={"Authorization": f"Bearer {sb.token}"}
            ) as client:
                while not halt.is_set():
                    stats = client.get(stats_url).json()
                    samples.append((time.perf_counter(), stats["requests"], stats["rate_limited"]))
                    bar.update(stats["requests"] - bar.n)
                    bar.postfix(f"429s {stats['rate_limited']}")
                    halt.wait(0.1)
            poller_cpu.append(time.thread_time())  # the measurement's own CPU, left out

        with Progress("    requests", unit="req") as bar:
            poller = threading.Thread(target=poll, args=(bar,), daemon=True)
            poller.start()
            while not samples:
                time.sleep(0.05)
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            try:
                pipeline.extract(source)  # the requests, and the pages landed as files
            finally:
                halt.set()
                poller.join()
            wall = time.perf_counter() - wall_before
            cpu = time.process_time() - cpu_before - sum(poller_cpu)
        final = httpx.get(stats_url, headers={"Authorization": f"Bearer {sb.token}"}).json()
    cpu_before = time.process_time()
    pipeline.normalize()
    pipeline.load()
    after = time.process_time() - cpu_before
    report_utilisation(report, samples, final, limit)
    share = cpu / wall
    report.add(
        f"Rate-limited extraction at {limit}/10 s: client CPU",
        f"{share:.1%} of one core ({cpu:.1f} s CPU in {wall:.0f} s; then normalize and "
        f"load {after:.1f} s CPU)",
        f"<= {MAX_CLIENT_CPU:.0%}",
        share <= MAX_CLIENT_CPU,
    )


def report_utilisation(
    report: Report, samples: list[tuple[float, int, int]], final: dict, limit: int
) -> None:
    sent, refused = final["requests"], final["rate_limited"]
    accepted = [(t, r - lim) for t, r, lim in samples]
    # Windows start just before the first request (the last sample that saw none).
    t0 = max((t for t, a in accepted if a == 0), default=accepted[0][0])
    t_end = min((t for t, a in accepted if a >= sent - refused), default=accepted[-1][0])
    windows = int((t_end - t0) // RATE_WINDOW)
    if windows < 1:
        raise BenchError(f"the extraction took under one window ({t_end - t0:.1f} s)")
    in_windows = max(a for t, a in accepted if t <= t0 + windows * RATE_WINDOW)
    utilisation = in_windows / (windows * limit)
    overall = (sent - refused) / (t_end - t0) * RATE_WINDOW / limit
    ok = utilisation >= MIN_UTILISATION and windows >= MIN_WINDOWS
    report.add(
        f"Rate-limited extraction at {limit}/10 s: share of the limit used",
        f"{utilisation:.0%} ({in_windows} requests in {windows} whole windows of "
        f"{RATE_WINDOW:g} s; {sent} requests in {t_end - t0:.0f} s overall = {overall:.0%})",
        f">= {MIN_UTILISATION:.0%} over >= {MIN_WINDOWS} windows",
        ok,
    )
    report.add(
        f"Rate-limited extraction at {limit}/10 s: requests refused (429)",
        f"{refused}",
        "0",
        refused == 0,
    )
