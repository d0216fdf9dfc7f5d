"""The benchmark's results: rows with targets, nightly runs per step; text and markdown."""

from __future__ import annotations

import contextlib
import os
import platform
import re
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path


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
