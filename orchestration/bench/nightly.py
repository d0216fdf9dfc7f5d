"""The whole nightly Dagster job in this process, per step: a full run into a fresh
warehouse, then an incremental run one simulated day later (POST /_sandbox/clock), and
what the history analytics (dbt tag history_analytics: pipeline waterfall, forecast calls,
deal risk, ramp) add to that night: the same next-day run from the same state without them,
REPEATS times each, alternating, medians compared."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ingestion.sandbox.runner import RunningSandbox
from orchestration.bench.common import OUT_DIR, UNLIMITED, BenchError
from orchestration.bench.progress import Progress, say
from orchestration.bench.report import NightlyRun, Report

if TYPE_CHECKING:
    import dagster as dg

    from orchestration.bench.sections import Bench

ANALYTICS_TAG = "history_analytics"  # the dbt tag of the models the comparison leaves out
MAX_ANALYTICS_RATIO = 1.1  # next-day run with them / without them
REPEATS = 5  # next-day runs with and without them, from the same state; medians compared


def measure_full(bench: Bench, sb: RunningSandbox) -> None:
    import dagster as dg

    say("full nightly run: the whole Dagster job in this process, into a fresh warehouse")
    bench.instance = dg.DagsterInstance.ephemeral()
    with environment(nightly_env(bench.workdir, sb)):
        run = run_nightly(bench.instance, "full", planned_steps())
    bench.report.runs["full"] = run  # its steps are shown even when it failed
    if run.failure:
        raise BenchError(run.failure)
    bench.report.add(
        "Full nightly run (extract, dbt build, checks, publish)", f"{run.seconds:.0f} s"
    )
    dbt_row(bench.report, "full", run)


def measure_incremental(bench: Bench, sb: RunningSandbox) -> None:
    say("one simulated day later: POST /_sandbox/clock {advance_days: 1}")
    now = advance_one_day(sb)
    say(f"incremental nightly run (CRM clock now {now})")
    full = bench.report.runs["full"]
    data, kept = bench.workdir / "nightly", bench.workdir / "before_next_day"
    with environment(nightly_env(bench.workdir, sb)):
        shutil.copytree(data, kept)
        run = run_nightly(bench.instance, "incremental", len(full.steps) or None)
    bench.report.runs["incremental"] = run
    if run.failure:
        raise BenchError(run.failure)
    share = run.seconds / full.seconds
    bench.report.add("Incremental nightly run (1 simulated day later)", f"{run.seconds:.0f} s")
    dbt_row(bench.report, "incremental", run)
    # Shown, not a target: a faster full run made this ratio worse. What a night costs
    # is measured against the history it carries (section history).
    bench.report.add("Incremental run / full run", f"{share:.0%}")
    with environment(nightly_env(bench.workdir, sb)):
        measure_analytics_cost(bench, run, data, kept)


def measure_analytics_cost(bench: Bench, first: NightlyRun, data: Path, kept: Path) -> None:
    """The next-day run with the history analytics / without them (every other asset and
    check, the same night from the same state): what they add to a night."""
    say(f"the same next-day run without the models tagged {ANALYTICS_TAG}, and with them again")
    others = assets_without_tag(ANALYTICS_TAG)
    steps = len(first.steps) or None
    runs: dict[bool, list[NightlyRun]] = {True: [first], False: []}
    for k in range(REPEATS):
        for included in (False, True):
            if included and k == REPEATS - 1:
                break  # the first run with them counts as one of the REPEATS
            restore(kept, data)
            label = f"next_day_{'with' if included else 'without'}_analytics_{k + 1}"
            run = run_nightly(bench.instance, label, steps, None if included else others)
            if run.failure:
                raise BenchError(run.failure)
            runs[included].append(run)
    bench.report.runs["next day without analytics"] = runs[False][0]
    with_s, without_s = (statistics.median(r.seconds for r in runs[i]) for i in (True, False))
    dbt_with, dbt_without = (
        statistics.median(r.steps.get(dbt_step(r.steps) or "", 0.0) for r in runs[i])
        for i in (True, False)
    )
    ratio = with_s / without_s
    bench.report.add(
        f"Next-day run with / without the {ANALYTICS_TAG} models ({with_s:.1f} s / "
        f"{without_s:.1f} s; dbt build {dbt_with:.1f} s / {dbt_without:.1f} s; medians of "
        f"{REPEATS} runs each)",
        f"{ratio:.2f}x",
        f"<= {MAX_ANALYTICS_RATIO}x",
        ratio <= MAX_ANALYTICS_RATIO,
    )


def assets_without_tag(tag: str) -> list[dg.AssetKey]:
    """Every asset of the nightly job but the dbt models tagged `tag`."""
    from dagster_dbt import build_dbt_asset_selection

    from orchestration.definitions import defs
    from orchestration.defs.transform import warehouse_models

    graph = defs.resolve_asset_graph()
    tagged = build_dbt_asset_selection([warehouse_models], dbt_select=f"tag:{tag}").resolve(graph)
    if not tagged:
        raise BenchError(f"no dbt model is tagged {tag}")
    return sorted(graph.materializable_asset_keys - tagged)


def restore(kept: Path, data: Path) -> None:
    """The warehouse folder (warehouse, dlt state, dbt target, serving file) as it was."""
    shutil.rmtree(data)
    shutil.copytree(kept, data)


def advance_one_day(sb: RunningSandbox) -> str | None:
    """Move the sandbox's clock a day on (it regenerates the organisation); its new clock."""
    with Progress("    regenerate the organisation a day later", ticker=True):
        resp = httpx.post(
            f"{sb.base_url}/_sandbox/clock",
            json={"advance_days": 1},
            headers={"Authorization": f"Bearer {sb.token}"},
            timeout=3600,
        )
    resp.raise_for_status()
    return resp.json().get("now")


def nightly_env(workdir: Path, sb: RunningSandbox) -> dict[str, str]:
    data = workdir / "nightly"
    data.mkdir(exist_ok=True)
    return {
        "CRM_BASE_URL": sb.base_url,
        "CRM_ACCESS_TOKEN": sb.token,
        "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
        "SERVING_PATH": str(data / "serving.duckdb"),
        "CRM_MAX_REQUESTS_PER_10S": str(UNLIMITED),
        "PUBLISH_POSTGRES_DSN": "",  # off, whatever .env says
    }


def dbt_row(report: Report, label: str, run: NightlyRun) -> None:
    if run.dbt_reparsed:
        report.note(f"dbt parsed the whole project again in the {label} run: {run.dbt_reparsed}")
    key = dbt_step(run.steps)
    if key is None:
        report.note(f"No dbt step found among the {label} run's steps.")
        return
    extract = sum(v for k, v in run.steps.items() if k == "hubspot")
    detail = f", {run.dbt_finished}" if run.dbt_finished else ""
    report.add(
        f"  dbt build step ({label})",
        f"{run.steps[key]:.0f} s ({key}{detail}); extract step {extract:.0f} s",
    )


_STEP_LINE = re.compile(r"^\s*step (\S+) (started|done|FAILED)")
# "12 of 444 OK created sql table model core.fct_deals ..... [OK in 0.45s]" (no dots when
# the name is long)
_DBT_NODE = re.compile(r"^\s*(\d+) of (\d+) (?!START)\S+.*?(\S+) [. ]*\[\S* in ([\d.]+)s\]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RunOutput(io.TextIOBase):
    """Takes the nightly job's printed output (step lines, dbt's log): kept in a log file,
    turned into progress and into dbt's per-node timings."""

    def __init__(self, bar: Progress, log: Path):
        self.bar = bar
        self.log = open(log, "w")  # closed by close()
        self.buffer = ""
        self.dbt_nodes: dict[str, float] = {}
        self.dbt_finished = ""
        self.dbt_reparsed = ""
        self.step = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.log.write(text)
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self._line(_ANSI.sub("", line))
        return len(text)

    def _line(self, line: str) -> None:
        if found := _STEP_LINE.match(line):
            key, what = found.groups()
            if what == "started":
                self.step = key
                self.bar.postfix(key[:60])
            else:
                self.bar.update()
        elif found := _DBT_NODE.match(line):
            done, of, name, secs = found.groups()
            self.dbt_nodes[name] = float(secs)
            self.bar.postfix(f"{self.step[:40]}: dbt {done}/{of}")
        elif line.startswith("Unable to do partial parsing") and not self.dbt_reparsed:
            self.dbt_reparsed = line.strip()
        elif line.startswith("Finished running"):
            found = re.search(r"\(([\d.]+)s\)", line)
            self.dbt_finished = f"dbt's own timer {found.group(1)} s" if found else ""

    def close(self) -> None:
        self.log.close()
        super().close()


def planned_steps() -> int | None:
    with contextlib.suppress(Exception):
        from dagster._core.execution.api import create_execution_plan

        from orchestration.definitions import defs

        plan = create_execution_plan(defs.resolve_job_def("nightly_warehouse"))
        return len(plan.step_keys_to_execute)
    return None


def run_nightly(
    instance, label: str, total_steps: int | None, assets: list[dg.AssetKey] | None = None
) -> NightlyRun:
    """One nightly job run (assets: only these and their checks), timed per step."""
    from orchestration.lib.runs import first_failure, run_nightly_job

    log = OUT_DIR / f"nightly_{label}.log"
    with Progress(f"    nightly job ({label})", total=total_steps, unit="step") as bar:
        sink = RunOutput(bar, log)
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sink):
                result = run_nightly_job(instance, asset_selection=assets)
        finally:
            sink.close()
        seconds = time.perf_counter() - started
    failure = None
    if not result.success:
        failure = f"the {label} nightly run failed: {first_failure(result)} (log: {log})"
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            steps[event.step_key] = entry.timestamp - starts.get(event.step_key, entry.timestamp)
    nodes = sorted(sink.dbt_nodes.items(), key=lambda kv: -kv[1])
    return NightlyRun(seconds, steps, nodes, sink.dbt_finished, sink.dbt_reparsed, failure)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_step(steps: dict[str, float]) -> str | None:
    try:
        from orchestration.defs.transform import warehouse_models

        name = warehouse_models.op.name
    except Exception:
        name = None
    return next((k for k in steps if k == name or "dbt" in k), None)
