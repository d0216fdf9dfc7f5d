"""The benchmark's sections, run in order against one sandbox (the rate-limit section
against its own); a section that fails is reported and the others still run."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from ingestion.sandbox.runner import sandbox_process
from orchestration.bench import baseline, extract, history, nightly, paging, ratelimit, spark
from orchestration.bench.processes import ProcessWatcher, mib, report_memory
from orchestration.bench.progress import Progress, say
from orchestration.bench.report import Report

SECTIONS = (
    "paging",
    "baseline",
    "landing",
    "extract",
    "nightly",
    "incremental",
    "history",
    "spark",
    "ratelimit",
)


class Bench:
    def __init__(self, args: argparse.Namespace, report: Report, workdir: Path):
        self.preset = args.preset
        self.seed = args.seed
        self.skip = set(args.skip)
        self.report = report
        self.workdir = workdir
        self.watcher = ProcessWatcher()
        self.expected_records: int | None = None
        self.read_json_seconds: float | None = None
        self.read_json_table_seconds: dict[str, float] | None = None
        self.pages: list[list] = []  # [table, archived, file of saved answers] per listing
        self.fetch_seconds: float | None = None
        self.extract_seconds: float | None = None
        self.extract_rss: int | None = None
        self.baseline_counts: dict[str, int] | None = None
        self.peaks: dict[str, int] = {}  # process -> peak RSS (KiB), reported at the end

    def peak(self, process: str, kib: int) -> None:
        """Report a process's peak memory; the largest of all is checked at the end."""
        if kib > self.peaks.get(process, 0):
            self.peaks[process] = kib
        self.report.add(f"Peak RSS, {process}", mib(kib))

    def section(self, name: str, fn: Callable[..., None], *args) -> bool:
        if name in self.skip:
            return False
        try:
            fn(*args)
            return True
        except Exception as exc:  # a section that fails is reported; the others still run
            traceback.print_exc(file=sys.stderr)
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            print(f"    ERROR in {name}: {message}", file=sys.stderr, flush=True)
            self.report.error(name, message)
            return False

    def run(self) -> None:
        self.watcher.start()
        try:
            if set(SECTIONS[:6]) - self.skip:
                self._main_sandbox()
            self.section("history", history.measure, self)
            self.section("spark", spark.measure, self)
            self.section("ratelimit", ratelimit.measure, self.report, self.seed, self.workdir)
        finally:
            self.watcher.stop()
        report_memory(self)

    def _main_sandbox(self) -> None:
        say(
            f"generating the {self.preset} organisation (seed {self.seed}) and starting the sandbox"
        )
        with contextlib.ExitStack() as stack:
            with Progress("    generate + start", ticker=True):
                started = time.perf_counter()
                sb = stack.enter_context(sandbox_process(self.preset, self.seed, timeout=3600))
                ready = time.perf_counter() - started
            self.report.note(
                f"Generating the {self.preset} organisation and starting the sandbox took {ready:.0f} s."
            )
            self.section("paging", paging.measure, self.report, sb)
            self.section("baseline", baseline.measure, self, sb)
            self.section("landing", extract.measure_landing, self, sb)
            self.section("extract", extract.measure, self, sb)
            extract.report_ratio(self)
            full = self.section("nightly", nightly.measure_full, self, sb)
            if full:
                self.section("incremental", nightly.measure_incremental, self, sb)
            self.watcher.sample()  # the sandbox's peak, before it stops
