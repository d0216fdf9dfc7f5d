"""Nights cost what changed, not the history: the next-day nightly run on the same
organisation size with twice the history (sandbox --history-months), step by step.

Each history gets its own sandbox and warehouse: a full run, one simulated day (POST
/_sandbox/clock), then the measured next-day run, REPEATS times from the same state (the
warehouse folder restored between them) and the median of each part kept: one run's parts
vary by a tenth from run to run on the 2-core machine, enough to turn a ratio from PASS to
MISS. On the preset's history also a night with no change since (the fixed floor)."""

from __future__ import annotations

import contextlib
import shutil
import statistics
from typing import TYPE_CHECKING

from ingestion.sandbox.generator import PRESETS
from ingestion.sandbox.runner import sandbox_process
from orchestration.bench.common import BenchError
from orchestration.bench.nightly import (
    advance_one_day,
    environment,
    nightly_env,
    restore,
    run_nightly,
)
from orchestration.bench.progress import Progress, say
from orchestration.bench.report import NightlyRun

if TYPE_CHECKING:
    from orchestration.bench.sections import Bench

MAX_RATIO = 1.2  # next-day run on twice the history / on the preset's history, per step
NOISE_SECONDS = 1.0  # steps shorter than this on both histories are too short to compare
REPEATS = 3  # measured next-day runs per history, from the same state; medians compared


def phase(step: str) -> str:
    """The part of the night a Dagster step belongs to."""
    if step == "warehouse_models":
        return "dbt build"
    if step.startswith("publish__"):
        return "publish"
    if step.startswith("reports__"):
        return "reports"
    if step == "gx_suites" or step == "freshness" or step.endswith("_within_threshold"):
        return "checks"
    return "extract"  # one raw step per CRM connection


def by_phase(run: NightlyRun) -> dict[str, float]:
    phases: dict[str, float] = {}
    for step, seconds in run.steps.items():
        phases[phase(step)] = phases.get(phase(step), 0.0) + seconds
    return phases


def median_phases(runs: list[NightlyRun]) -> dict[str, float]:
    """Each part's median over the runs."""
    parts = [by_phase(run) for run in runs]
    return {name: statistics.median(p.get(name, 0.0) for p in parts) for name in parts[0]}


def measure(bench: Bench) -> None:
    months = PRESETS[bench.preset].months
    runs = {m: _next_day_runs(bench, m, floor=m == months) for m in (months, 2 * months)}
    short, long = median_phases(runs[months]), median_phases(runs[2 * months])
    whole = [statistics.median(run.seconds for run in runs[m]) for m in (months, 2 * months)]
    for name, seconds in short.items():
        other = long.get(name, 0.0)
        label = f"Next-day run, {name}: {2 * months} / {months} months of history"
        if max(seconds, other) < NOISE_SECONDS:
            bench.report.add(
                label, f"{other:.1f} s / {seconds:.1f} s (under {NOISE_SECONDS:.0f} s)"
            )
            continue
        ratio = other / seconds
        bench.report.add(label, f"{ratio:.2f}x", f"<= {MAX_RATIO}x", ratio <= MAX_RATIO)
    ratio = whole[1] / whole[0]
    bench.report.add(
        f"Next-day run, whole: {2 * months} / {months} months of history "
        f"({whole[1]:.0f} s / {whole[0]:.0f} s, medians of {REPEATS} runs)",
        f"{ratio:.2f}x",
        f"<= {MAX_RATIO}x",
        ratio <= MAX_RATIO,
    )


def _next_day_runs(bench: Bench, months: int, floor: bool) -> list[NightlyRun]:
    """The measured next-day runs, each from the state the full run and the simulated day
    left; with floor, then a run with nothing changed since (the fixed cost of a night),
    reported as is."""
    import dagster as dg

    say(f"{months} months of history: a full run, then the next day's run (measured)")
    args = ("--history-months", str(months))
    workdir = bench.workdir / f"history_{months}"
    workdir.mkdir(exist_ok=True)
    instance = dg.DagsterInstance.ephemeral()
    with contextlib.ExitStack() as stack:
        with Progress(f"    generate + start ({months} months)", ticker=True):
            sb = stack.enter_context(
                sandbox_process(bench.preset, bench.seed, timeout=3600, extra_args=args)
            )
        stack.callback(bench.watcher.sample)  # the sandbox's peak, before it stops
        stack.enter_context(environment(nightly_env(workdir, sb)))
        full = _run(instance, f"history_{months}_full", None)
        advance_one_day(sb)
        data, kept = workdir / "nightly", workdir / "before_next_day"
        shutil.copytree(data, kept)
        runs = []
        for k in range(REPEATS):
            if k:
                restore(kept, data)
            label = f"history_{months}_next_day" + (f"_{k + 1}" if k else "")
            runs.append(_run(instance, label, len(full.steps) or None))
        if floor:
            same = _run(instance, "no_change", len(full.steps) or None)
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in by_phase(same).items())
            bench.report.add(
                f"Fixed floor: a night with no change ({months} months of history)",
                f"{same.seconds:.0f} s ({parts})",
            )
        return runs


def _run(instance, label: str, total_steps: int | None) -> NightlyRun:
    run = run_nightly(instance, label, total_steps)
    if run.failure:
        raise BenchError(run.failure)
    return run
