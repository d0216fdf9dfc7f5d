"""Nights cost what changed, not the history: the next-day nightly run on the same
organisation size with twice the history (sandbox --history-months), step by step.

Each history gets its own sandbox and warehouse: a full run, one simulated day (POST
/_sandbox/clock), then the measured next-day run; on the preset's history also a night with
no change since (the fixed floor)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from ingestion.sandbox.generator import PRESETS
from ingestion.sandbox.runner import sandbox_process
from orchestration.bench.common import BenchError
from orchestration.bench.nightly import advance_one_day, environment, nightly_env, run_nightly
from orchestration.bench.progress import Progress, say
from orchestration.bench.report import NightlyRun

if TYPE_CHECKING:
    from orchestration.bench.sections import Bench

MAX_RATIO = 1.2  # next-day run on twice the history / on the preset's history, per step
NOISE_SECONDS = 1.0  # steps shorter than this on both histories are too short to compare


def phase(step: str) -> str:
    """The part of the night a Dagster step belongs to."""
    if step == "warehouse_models":
        return "dbt build"
    if step.startswith("publish__"):
        return "publish"
    if step.startswith("reports__"):
        return "reports"
    if "_gx_" in step or step == "freshness" or step.endswith("_within_threshold"):
        return "checks"
    return "extract"  # one raw step per CRM connection


def by_phase(run: NightlyRun) -> dict[str, float]:
    phases: dict[str, float] = {}
    for step, seconds in run.steps.items():
        phases[phase(step)] = phases.get(phase(step), 0.0) + seconds
    return phases


def measure(bench: Bench) -> None:
    months = PRESETS[bench.preset].months
    runs = {m: _next_day_run(bench, m, floor=m == months) for m in (months, 2 * months)}
    short, long = by_phase(runs[months]), by_phase(runs[2 * months])
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
    short_run, long_run = runs[months], runs[2 * months]
    ratio = long_run.seconds / short_run.seconds
    bench.report.add(
        f"Next-day run, whole: {2 * months} / {months} months of history "
        f"({long_run.seconds:.0f} s / {short_run.seconds:.0f} s)",
        f"{ratio:.2f}x",
        f"<= {MAX_RATIO}x",
        ratio <= MAX_RATIO,
    )


def _next_day_run(bench: Bench, months: int, floor: bool) -> NightlyRun:
    """The measured next-day run; with floor, then a run with nothing changed since (the
    fixed cost of a night), reported as is."""
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
        run = _run(instance, f"history_{months}_next_day", len(full.steps) or None)
        if floor:
            same = _run(instance, "no_change", len(full.steps) or None)
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in by_phase(same).items())
            bench.report.add(
                f"Fixed floor: a night with no change ({months} months of history)",
                f"{same.seconds:.0f} s ({parts})",
            )
        return run


def _run(instance, label: str, total_steps: int | None) -> NightlyRun:
    run = run_nightly(instance, label, total_steps)
    if run.failure:
        raise BenchError(run.failure)
    return run
