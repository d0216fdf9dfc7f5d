"""Pipeline benchmark: `make bench` (medium preset), `make bench PRESET=large`, or
`python -m orchestration.bench --preset small --skip ratelimit`.

One command measures, against the CRM sandbox on this machine:

- paging: the sandbox's own paging rate (ingestion/sandbox/bench.py);
- baseline: every listing the connector reads, fetched with plain httpx into
  newline-delimited JSON files and loaded by DuckDB's built-in read_json;
- extract: the dlt pipeline (extract, normalize, load as parquet) into a fresh DuckDB file,
  in a child process (its peak memory is its own), compared with read_json;
- nightly: the whole nightly Dagster job in this process, per step;
- incremental: the nightly job again after one simulated day (POST /_sandbox/clock);
- ratelimit: extraction from a sandbox allowing 100 requests per 10 s, with the client
  limited to 100: how much of the limit is used, and that no request was refused.

Peak memory (max RSS) of the pipeline processes, dbt and the sandbox is sampled throughout.
A summary with targets and PASS/MISS is printed and written as markdown to
data/bench/latest.md, with dbt's output of both nightly runs beside it. Exit status 0 when
everything was measured (a MISS is a result), 1 when a section failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

import duckdb
import httpx
import orjson

from ingestion.sandbox.bench import PAGING_OBJECT, TARGET_RECORDS_PER_S, measure_paging
from ingestion.sandbox.generator import PRESETS
from ingestion.sandbox.runner import RunningSandbox, sandbox_process
from ingestion.settings import PROJECT_ROOT

try:
    from tqdm import tqdm as _tqdm
except ImportError:  # not a direct dependency: fall back to one rewritten stderr line
    _tqdm = None

SECTIONS = ("paging", "baseline", "extract", "nightly", "incremental", "ratelimit")
OUT_DIR = PROJECT_ROOT / "data" / "bench"
MAX_EXTRACT_VS_READ_JSON = 5.0  # dlt extract+load time / read_json time of the same JSON
MAX_INCREMENTAL_SHARE = 0.10  # incremental nightly run / full nightly run
MIN_UTILISATION = 0.90  # of the API rate limit, over whole windows
RATE_LIMIT = 100  # requests per rolling 10 s (HubSpot's lowest tier)
RATE_WINDOW = 10.0
RATE_LIMIT_PRESET = "small"  # enough requests for several windows at 100 per 10 s
MIN_WINDOWS = 3
UNLIMITED = 1_000_000  # a client-side limit that never throttles
TOKEN_ENV = "BENCH_CRM_TOKEN"  # the sandbox token for child processes (never argv)
NO_PHONE_HOME = {  # localhost only: no usage statistics sent anywhere
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}


class BenchError(Exception):
    """A measurement could not be taken (as opposed to a target missed)."""


# ------------------------------------------------------------------------------ progress
class Progress:
    """A tqdm bar on stderr (or one rewritten stderr line without tqdm), redrawn every
    second so the elapsed time moves even while nothing is counted."""

    def __init__(
        self, desc: str, total: float | None = None, unit: str = "it", ticker: bool = False
    ):
        """ticker: show only the time elapsed (for a wait with nothing to count)."""
        self.desc, self.total, self.unit, self.ticker = desc, total, unit, ticker
        self.n = 0
        self.text = ""
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._bar = (
            _tqdm(
                desc=desc,
                total=total,
                unit=unit,
                unit_scale=True,
                file=sys.stderr,
                mininterval=0.5,
                dynamic_ncols=True,
                **({"bar_format": "{desc}: {elapsed} elapsed"} if ticker else {}),
            )
            if _tqdm is not None
            else None
        )
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.refresh()
                return
            total = f"/{self.total:,.0f}" if self.total else ""
            count = "" if self.ticker else f"{self.n:,.0f}{total} {self.unit} "
            elapsed = time.perf_counter() - self.started
            line = f"{self.desc}: {count}[{elapsed:.0f}s] {self.text}"
            sys.stderr.write("\r" + line[:150].ljust(150))
            sys.stderr.flush()

    def update(self, n: float = 1) -> None:
        with self._lock:
            self.n += n
            if self._bar is not None:
                self._bar.update(n)

    def set_total(self, total: float | None) -> None:
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.total = total

    def postfix(self, text: str) -> None:
        with self._lock:
            self.text = text
            if self._bar is not None:
                self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        self._stop.set()
        self._ticker.join()
        self._draw()
        with self._lock:
            if self._bar is not None:
                self._bar.close()
            else:
                sys.stderr.write("\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


# ---------------------------------------------------------------------------- memory
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


# ---------------------------------------------------------------------------- report
@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    result: str = ""  # PASS, MISS, ERROR or empty (information)


@dataclass
class NightlyRun:
    seconds: float
    steps: dict[str, float]  # step key -> seconds, in start order
    dbt_nodes: list[tuple[str, float]]  # dbt node -> seconds, slowest first
    dbt_finished: str  # dbt's own timer, from its "Finished running ..." line
    dbt_reparsed: str  # why dbt parsed the whole project again, if it did
    failure: str | None = None  # why the run failed, if it did


@dataclass
class Report:
    preset: str
    seed: int
    machine: str
    versions: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    runs: dict[str, NightlyRun] = field(default_factory=dict)

    def add(self, measure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        result = "" if ok is None else ("PASS" if ok else "MISS")
        self.rows.append(Row(measure, value, target, result))
        print(f"    {measure}: {value}" + (f"  (target {target}: {result})" if target else ""))

    def error(self, section: str, message: str) -> None:
        self.errors.append(f"{section}: {message}")
        self.rows.append(Row(f"{section} (not measured)", message, "", "ERROR"))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def _step_table(self) -> tuple[list[str], list[list[str]]]:
        labels = list(self.runs)
        keys = list(dict.fromkeys(k for run in self.runs.values() for k in run.steps))
        first = self.runs[labels[0]].steps
        keys.sort(key=lambda k: -first.get(k, 0.0))
        rows = [
            [
                k,
                *(
                    f"{self.runs[label].steps[k]:.1f}" if k in self.runs[label].steps else "-"
                    for label in labels
                ),
            ]
            for k in keys
        ]
        rows.append(["(whole run, wall clock)", *(f"{self.runs[lb].seconds:.1f}" for lb in labels)])
        heads = [f"{lb} run (s)" + (" FAILED" if self.runs[lb].failure else "") for lb in labels]
        return ["step", *heads], rows

    def text(self) -> str:
        head = ["measure", "value", "target", "result"]
        body = [[r.measure, r.value, r.target or "-", r.result or "-"] for r in self.rows]
        lines = [
            "",
            f"Benchmark: preset {self.preset}, seed {self.seed}, {date.today():%Y-%m-%d}",
            f"Machine: {self.machine}",
            f"Versions: {self.versions}",
            "",
            *_plain_table(head, body),
        ]
        if self.runs:
            lines += ["", "Nightly job, per step:", *_plain_table(*self._step_table())]
            for label, run in self.runs.items():
                lines += [
                    "",
                    f"Slowest dbt nodes, {label} run ({run.dbt_finished or 'dbt summary not seen'}):",
                ]
                lines += [f"  {secs:7.2f}s  {name}" for name, secs in run.dbt_nodes[:8]]
        if self.notes:
            lines += ["", "Notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)

    def markdown(self) -> str:
        head = ["measure", "value", "target", "result"]
        body = [[r.measure, r.value, r.target or "-", r.result or "-"] for r in self.rows]
        lines = [
            f"# Benchmark, {date.today():%Y-%m-%d}",
            "",
            f"Preset `{self.preset}`, seed {self.seed}. Machine: {self.machine}. {self.versions}.",
            "",
            *_md_table(head, body),
        ]
        if self.runs:
            lines += ["", "## Nightly job, per step", "", *_md_table(*self._step_table())]
            for label, run in self.runs.items():
                lines += ["", f"Slowest dbt nodes, {label} run ({run.dbt_finished or 'n/a'}):", ""]
                lines += [f"- `{name}` {secs:.2f}s" for name, secs in run.dbt_nodes[:8]]
        if self.notes:
            lines += ["", "## Notes", "", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines) + "\n"


def _plain_table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [
        fmt.format(*r) for r in rows
    ]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = ""
    with contextlib.suppress(OSError, AttributeError):
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f", {kib / 1024**2:.1f} GiB RAM"
    return f"{cpu}, {os.cpu_count()} cores{ram}"


def versions() -> str:
    found = []
    for name in ("duckdb", "dlt", "dagster", "dbt-core", "dbt-duckdb"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return f"Python {platform.python_version()}, " + ", ".join(found)


# ------------------------------------------------------------------------ child processes
def run_child(kind: str, spec: dict, workdir: Path, token: str) -> tuple[dict, int]:
    """Run `--child kind` in a fresh interpreter: (its result, its peak RSS in KiB)."""
    spec_file = workdir / f"{kind}.spec.json"
    result_file = workdir / f"{kind}.result.json"
    spec_file.write_text(json.dumps({**spec, "result": str(result_file)}))
    env = {**os.environ, TOKEN_ENV: token}
    cmd = [sys.executable, "-m", "orchestration.bench", "--child", kind, str(spec_file)]
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchError(f"the {kind} process failed with exit code {proc.returncode}")
    return json.loads(result_file.read_text()), usage.ru_maxrss


def _child_main(kind: str, spec_file: str) -> int:
    spec = json.loads(Path(spec_file).read_text())
    result = {"extract": _child_extract, "read_json": _child_read_json}[kind](spec)
    Path(spec["result"]).write_text(json.dumps(result))
    return 0


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


def _child_extract(spec: dict) -> dict:
    from ingestion.hubspot.source import hubspot_pipeline, hubspot_source

    db = Path(spec["db"])
    pipeline = hubspot_pipeline(str(db), str(db.parent / ".dlt_pipelines"))
    pipeline.collector = _dlt_progress(spec.get("expected"))
    source = hubspot_source(spec["base_url"], os.environ[TOKEN_ENV], max_requests_per_10s=UNLIMITED)
    started = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet")
    seconds = time.perf_counter() - started
    phases = {
        s.step: (s.finished_at - s.started_at).total_seconds()
        for s in pipeline.last_trace.steps
        if s.started_at and s.finished_at
    }
    return {"seconds": seconds, "phases": phases, "counts": main_table_counts(db, "raw_hubspot")}


def _child_read_json(spec: dict) -> dict:
    # No extension is installed or loaded: json is part of the duckdb wheel.
    con = duckdb.connect(
        spec["db"],
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    mode = con.execute(
        "select install_mode from duckdb_extensions() where extension_name = 'json' and loaded"
    ).fetchone()
    if not mode:
        raise BenchError("DuckDB's json extension is not built in here")
    tables: dict[str, list[str]] = spec["tables"]
    with Progress("    read_json", total=len(tables), unit="table") as bar:
        started = time.perf_counter()
        for name, files in tables.items():
            bar.postfix(name)
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(
                f'create table "{name}" as select * from read_json([{listing}], '
                "format = 'newline_delimited', union_by_name = true)"
            )
            bar.update()
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
    counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    con.close()
    return {"seconds": seconds, "counts": counts, "json_extension": mode[0]}


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


# ------------------------------------------------------------------------ raw JSON baseline
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


def fetch_raw_json(sb: RunningSandbox, outdir: Path) -> tuple[dict[str, list[str]], int, float]:
    """Every page of every listing into newline-delimited JSON, records exactly as served:
    (files per table, records, seconds)."""
    outdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = defaultdict(list)
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
            n, after = 0, None
            with open(file, "wb") as out:
                while True:
                    resp = client.get(path, params=params | ({"after": after} if after else {}))
                    resp.raise_for_status()
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
                total += n
        seconds = time.perf_counter() - started
    return dict(files), total, seconds


# ---------------------------------------------------------------------------- nightly job
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


def run_nightly(instance, label: str, total_steps: int | None) -> NightlyRun:
    from orchestration.lib.runs import first_failure, run_nightly_job

    log = OUT_DIR / f"nightly_{label}.log"
    with Progress(f"    nightly job ({label})", total=total_steps, unit="step") as bar:
        sink = RunOutput(bar, log)
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sink):
                result = run_nightly_job(instance)
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


# ---------------------------------------------------------------------------- the bench
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
        self.fetch_seconds: float | None = None
        self.extract_seconds: float | None = None
        self.extract_rss: int | None = None
        self.baseline_counts: dict[str, int] | None = None

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
            if set(SECTIONS[:5]) - self.skip:
                self._main_sandbox()
            self.section("ratelimit", self.ratelimit)
        finally:
            self.watcher.stop()
        self._memory()

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
            self.section("paging", self.paging, sb)
            self.section("baseline", self.baseline, sb)
            self.section("extract", self.extract, sb)
            self._ratio()
            full = self.section("nightly", self.nightly_full, sb)
            if full:
                self.section("incremental", self.nightly_incremental, sb)
            self.watcher.sample()  # the sandbox's peak, before it stops

    # 1. paging
    def paging(self, sb: RunningSandbox) -> None:
        say(f"sandbox paging: /crm/v3/objects/{PAGING_OBJECT}, 100 per page")
        with Progress("    paging", unit="rec") as bar:
            n, seconds = measure_paging(sb.base_url, sb.token, on_page=bar.update)
        rate = n / seconds
        self.report.add(
            f"Sandbox paging ({PAGING_OBJECT}, 100 per page)",
            f"{rate:,.0f} records/s ({n:,} in {seconds:.1f} s)",
            f">= {TARGET_RECORDS_PER_S:,} records/s",
            rate >= TARGET_RECORDS_PER_S,
        )

    # 3. baseline
    def baseline(self, sb: RunningSandbox) -> None:
        say("baseline: the same listings fetched with plain httpx, loaded by DuckDB's read_json")
        files, fetched, self.fetch_seconds = fetch_raw_json(sb, self.workdir / "json")
        self.expected_records = fetched
        result, rss = run_child(
            "read_json",
            {"db": str(self.workdir / "read_json.duckdb"), "tables": files},
            self.workdir,
            sb.token,
        )
        self.read_json_seconds = result["seconds"]
        self.baseline_counts = result["counts"]
        loaded = sum(result["counts"].values())
        if loaded != fetched:
            self.report.note(f"read_json loaded {loaded:,} rows of {fetched:,} records fetched.")
        self.report.add(
            "Raw JSON fetch (plain httpx, sequential)",
            f"{fetched / self.fetch_seconds:,.0f} records/s ({fetched:,} in {self.fetch_seconds:.1f} s)",
        )
        self.report.add(
            f"DuckDB read_json load (json {result['json_extension'].lower()})",
            f"{loaded / self.read_json_seconds:,.0f} records/s ({loaded:,} in {self.read_json_seconds:.1f} s)",
        )
        self.report.add("Peak RSS, read_json process", mib(rss))

    # 2. extract + load
    def extract(self, sb: RunningSandbox) -> None:
        say("extract + load: the dlt pipeline into a fresh DuckDB file (parquet loads)")
        spec = {
            "db": str(self.workdir / "extract" / "raw.duckdb"),
            "base_url": sb.base_url,
            "expected": self.expected_records,
        }
        (self.workdir / "extract").mkdir()
        result, self.extract_rss = run_child("extract", spec, self.workdir, sb.token)
        self.extract_seconds = result["seconds"]
        n = sum(result["counts"].values())
        phases = ", ".join(f"{k} {v:.0f} s" for k, v in result["phases"].items() if k != "run")
        self.report.add(
            "Extract + load (dlt -> DuckDB, parquet)",
            f"{n / self.extract_seconds:,.0f} records/s ({n:,} in {self.extract_seconds:.1f} s: {phases})",
        )
        base = self.baseline_counts
        if base is not None:
            differ = {
                t: (result["counts"].get(t, 0), base.get(t, 0))
                for t in set(base) | set(result["counts"])
                if result["counts"].get(t, 0) != base.get(t, 0)
            }
            if differ:
                self.report.note(
                    "Rows differ between the dlt load and read_json (dlt, read_json): "
                    + ", ".join(f"{t} {a:,}/{b:,}" for t, (a, b) in sorted(differ.items()))
                    + " (dlt merges on id, read_json keeps every served record)."
                )

    def _ratio(self) -> None:
        if self.extract_seconds is None or self.read_json_seconds is None:
            return
        ratio = self.extract_seconds / self.read_json_seconds
        self.report.add(
            "Extract+load time / read_json time",
            f"{ratio:.1f}x",
            f"<= {MAX_EXTRACT_VS_READ_JSON:g}x",
            ratio <= MAX_EXTRACT_VS_READ_JSON,
        )
        both = self.read_json_seconds + (self.fetch_seconds or 0)
        self.report.add(
            "Extract+load time / (httpx fetch + read_json) time",
            f"{self.extract_seconds / both:.1f}x",
        )

    # 4. and 5. nightly job
    def _nightly_env(self, sb: RunningSandbox) -> dict[str, str]:
        data = self.workdir / "nightly"
        data.mkdir(exist_ok=True)
        return {
            "CRM_BASE_URL": sb.base_url,
            "CRM_ACCESS_TOKEN": sb.token,
            "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
            "SERVING_PATH": str(data / "serving.duckdb"),
            "CRM_MAX_REQUESTS_PER_10S": str(UNLIMITED),
            "PUBLISH_POSTGRES_DSN": "",  # off, whatever .env says
        }

    def nightly_full(self, sb: RunningSandbox) -> None:
        import dagster as dg

        say("full nightly run: the whole Dagster job in this process, into a fresh warehouse")
        self.instance = dg.DagsterInstance.ephemeral()
        with environment(self._nightly_env(sb)):
            run = run_nightly(self.instance, "full", planned_steps())
        self.report.runs["full"] = run  # its steps are shown even when it failed
        if run.failure:
            raise BenchError(run.failure)
        self.report.add(
            "Full nightly run (extract, dbt build, checks, publish)", f"{run.seconds:.0f} s"
        )
        self._dbt_row("full", run)

    def nightly_incremental(self, sb: RunningSandbox) -> None:
        say("one simulated day later: POST /_sandbox/clock {advance_days: 1}")
        with Progress("    regenerate the organisation a day later", ticker=True):
            resp = httpx.post(
                f"{sb.base_url}/_sandbox/clock",
                json={"advance_days": 1},
                headers={"Authorization": f"Bearer {sb.token}"},
                timeout=3600,
            )
        resp.raise_for_status()
        say(f"incremental nightly run (CRM clock now {resp.json().get('now')})")
        full = self.report.runs["full"]
        with environment(self._nightly_env(sb)):
            run = run_nightly(self.instance, "incremental", len(full.steps) or None)
        self.report.runs["incremental"] = run
        if run.failure:
            raise BenchError(run.failure)
        share = run.seconds / full.seconds
        self.report.add("Incremental nightly run (1 simulated day later)", f"{run.seconds:.0f} s")
        self._dbt_row("incremental", run)
        self.report.add(
            "Incremental run / full run",
            f"{share:.0%}",
            f"<= {MAX_INCREMENTAL_SHARE:.0%}",
            share <= MAX_INCREMENTAL_SHARE,
        )

    def _dbt_row(self, label: str, run: NightlyRun) -> None:
        if run.dbt_reparsed:
            self.report.note(
                f"dbt parsed the whole project again in the {label} run: {run.dbt_reparsed}"
            )
        key = dbt_step(run.steps)
        if key is None:
            self.report.note(f"No dbt step found among the {label} run's steps.")
            return
        extract = sum(v for k, v in run.steps.items() if k == "hubspot")
        detail = f", {run.dbt_finished}" if run.dbt_finished else ""
        self.report.add(
            f"  dbt build step ({label})",
            f"{run.steps[key]:.0f} s ({key}{detail}); extract step {extract:.0f} s",
        )

    # 6. rate-limited extraction
    def ratelimit(self) -> None:
        faults = f"rate_limit={RATE_LIMIT},rate_window={RATE_WINDOW:g}"
        say(
            f"rate-limited extraction: {RATE_LIMIT_PRESET} sandbox allowing {RATE_LIMIT} requests "
            f"per {RATE_WINDOW:g} s, client limited to {RATE_LIMIT}"
        )
        from ingestion.hubspot.source import hubspot_pipeline, hubspot_source

        extra = ("--faults", faults)
        with sandbox_process(RATE_LIMIT_PRESET, self.seed, timeout=600, extra_args=extra) as sb:
            stats_url = f"{sb.base_url}/_sandbox/faults"
            db = self.workdir / "ratelimit" / "raw.duckdb"
            db.parent.mkdir()
            pipeline = hubspot_pipeline(str(db), str(db.parent / ".dlt_pipelines"))
            source = hubspot_source(sb.base_url, sb.token, max_requests_per_10s=RATE_LIMIT)
            samples: list[tuple[float, int, int]] = []  # (time, requests, refused)
            halt = threading.Event()

            def poll(bar: Progress) -> None:
                with httpx.Client(
                    timeout=10, headers={"Authorization": f"Bearer {sb.token}"}
                ) as client:
                    while not halt.is_set():
                        stats = client.get(stats_url).json()
                        samples.append(
                            (time.perf_counter(), stats["requests"], stats["rate_limited"])
                        )
                        bar.update(stats["requests"] - bar.n)
                        bar.postfix(f"429s {stats['rate_limited']}")
                        halt.wait(0.1)

            with Progress("    requests", unit="req") as bar:
                poller = threading.Thread(target=poll, args=(bar,), daemon=True)
                poller.start()
                while not samples:
                    time.sleep(0.05)
                try:
                    pipeline.extract(source)
                finally:
                    halt.set()
                    poller.join()
            final = httpx.get(stats_url, headers={"Authorization": f"Bearer {sb.token}"}).json()
        self._utilisation(samples, final)

    def _utilisation(self, samples: list[tuple[float, int, int]], final: dict) -> None:
        sent, refused = final["requests"], final["rate_limited"]
        accepted = [(t, r - lim) for t, r, lim in samples]
        # Windows start just before the first request (the last sample that saw none).
        t0 = max((t for t, a in accepted if a == 0), default=accepted[0][0])
        t_end = min((t for t, a in accepted if a >= sent - refused), default=accepted[-1][0])
        windows = int((t_end - t0) // RATE_WINDOW)
        if windows < 1:
            raise BenchError(f"the extraction took under one window ({t_end - t0:.1f} s)")
        in_windows = max(a for t, a in accepted if t <= t0 + windows * RATE_WINDOW)
        utilisation = in_windows / (windows * RATE_LIMIT)
        overall = (sent - refused) / (t_end - t0) * RATE_WINDOW / RATE_LIMIT
        ok = utilisation >= MIN_UTILISATION and windows >= MIN_WINDOWS
        self.report.add(
            "Rate-limited extraction: share of the limit used",
            f"{utilisation:.0%} ({in_windows} requests in {windows} whole windows of "
            f"{RATE_WINDOW:g} s; {sent} requests in {t_end - t0:.0f} s overall = {overall:.0%})",
            f">= {MIN_UTILISATION:.0%} over >= {MIN_WINDOWS} windows",
            ok,
        )
        self.report.add(
            "Rate-limited extraction: requests refused (429)", f"{refused}", "0", refused == 0
        )

    # 7. memory
    def _memory(self) -> None:
        peaks = self.watcher.peaks
        if self.extract_rss:
            self.report.add("Peak RSS, extract+load process (dlt)", mib(self.extract_rss))
        if "nightly" not in self.skip:
            self.report.add(
                "Peak RSS, this process (nightly job in-process: Dagster, dlt, checks)",
                mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
            )
        if "dbt" in peaks:
            self.report.add("Peak RSS, dbt build (sampled)", mib(peaks["dbt"]))
        main = f"sandbox ({self.preset})"
        if main in peaks:
            moved = ", incl. its clock move" if "incremental" in self.report.runs else ""
            self.report.add(f"Peak RSS, sandbox ({self.preset}{moved})", mib(peaks[main]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.bench",
        description="Pipeline benchmark against the CRM sandbox (see the module docstring).",
    )
    parser.add_argument("--preset", default="medium", choices=sorted(PRESETS))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--skip",
        default="",
        type=lambda s: [p.strip() for p in s.split(",") if p.strip()],
        help=f"comma-separated sections to leave out: {', '.join(SECTIONS)}",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.skip) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}: use {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for key, value in NO_PHONE_HOME.items():
        os.environ.setdefault(key, value)
    if args.child:
        return _child_main(*args.child)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    report = Report(args.preset, args.seed, machine(), versions())
    say(f"benchmark: preset {args.preset}, seed {args.seed} on {report.machine}")
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    started = time.perf_counter()
    cpu = CpuShare()
    try:
        Bench(args, report, workdir).run()
    finally:
        if args.keep:
            print(f"    temporary files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report.note(f"The whole benchmark took {(time.perf_counter() - started) / 60:.1f} min.")
    others = cpu.others()
    if others is not None:
        report.machine += f"; other processes used {others:.0%} of its CPU during the run"
        if others > 0.1:
            report.note(
                f"The machine was busy with other work ({others:.0%} of its CPU): "
                "times are longer and rates lower than on an idle machine."
            )
    print(report.text())
    (OUT_DIR / "latest.md").write_text(report.markdown())
    print(f"\nWritten to {(OUT_DIR / 'latest.md').relative_to(PROJECT_ROOT)}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
