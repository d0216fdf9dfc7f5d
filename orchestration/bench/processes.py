"""The processes the benchmark starts: their peak memory, and the CPU others use."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.bench.sections import Bench


class ProcessWatcher(threading.Thread):
    """Samples the peak RSS (VmHWM, KiB) of this process's descendants, by kind:
    the sandboxes, dbt and the benchmark's own child processes."""

    def __init__(self, interval: float = 1.0):
        super().__init__(daemon=True)
        self.interval = interval
        self.peaks: dict[str, int] = {}
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def sample(self) -> None:
        with self._lock:
            for pid in _descendants(os.getpid()):
                try:
                    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                kind = _kind([a.decode(errors="replace") for a in args if a])
                found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
                if kind and found:
                    self.peaks[kind] = max(self.peaks.get(kind, 0), int(found.group(1)))


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kind(args: list[str]) -> str | None:
    if "ingestion.sandbox" in args:
        preset = args[args.index("--preset") + 1] if "--preset" in args else "?"
        return f"sandbox ({preset}{', rate-limited' if '--faults' in args else ''})"
    if "--child" in args:
        return f"child {args[args.index('--child') + 1]}"
    if any(Path(a).name == "dbt" for a in args[:2]):
        return "dbt"
    return None


class CpuShare:
    """How much of the machine's CPU other processes used while the benchmark ran
    (busy time from /proc/stat less this process's and its children's own)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = self._busy()
        self.own = self._own()

    @staticmethod
    def _busy() -> float:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        ticks = [int(v) for v in fields]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def others(self) -> float | None:
        """Share of all cores used by other processes so far (0..1)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            wall = time.monotonic() - self.started
            busy = self._busy() - self.busy
            own = self._own() - self.own
            return max(0.0, busy - own) / (wall * (os.cpu_count() or 1))
        return None


def mib(kib: int | None) -> str:
    return f"{kib / 1024:,.0f} MiB" if kib else "n/a"


MAX_PROCESS_KIB = 8 * 1024 * 1024  # no process of the benchmark over 8 GiB


def report_memory(bench: Bench) -> None:
    """Peak memory of this process and of the processes it started, and the largest of all
    against the target."""
    peaks = bench.watcher.peaks
    if bench.extract_rss:
        bench.peak("extract+load process (dlt)", bench.extract_rss)
    if {"nightly", "history"} - bench.skip:  # both run nightly jobs in this process
        bench.peak(
            "this process (nightly job in-process: Dagster, dlt, checks)",
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        )
    if "dbt" in peaks:
        bench.peak("dbt build (sampled)", peaks["dbt"])
    moves_clock = "incremental" in bench.report.runs or "history" not in bench.skip
    for kind, kib in sorted(peaks.items()):
        if kind.startswith("sandbox ("):
            main = kind == f"sandbox ({bench.preset})"
            moved = ", incl. its clock moves" if main and moves_clock else ""
            bench.peak(f"{kind[:-1]}{moved})", kib)
    if bench.peaks:
        name, kib = max(bench.peaks.items(), key=lambda item: item[1])
        bench.report.add(
            "Largest peak RSS of any process",
            f"{mib(kib)} ({name})",
            f"<= {MAX_PROCESS_KIB // 1024 // 1024} GiB",
            kib <= MAX_PROCESS_KIB,
        )
