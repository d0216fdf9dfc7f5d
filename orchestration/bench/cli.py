"""The command line: `python -m orchestration.bench --help`; prints and writes the report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ingestion.sandbox.generator import PRESETS
from ingestion.settings import PROJECT_ROOT
from orchestration.bench.baseline import child_read_json
from orchestration.bench.common import OUT_DIR
from orchestration.bench.extract import child_extract, child_landing
from orchestration.bench.processes import CpuShare
from orchestration.bench.progress import say
from orchestration.bench.report import Report, machine, versions
from orchestration.bench.sections import SECTIONS, Bench

NO_PHONE_HOME = {  # localhost only: no usage statistics sent anywhere
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}


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
        return child_main(*args.child)
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


def child_main(kind: str, spec_file: str) -> int:
    spec = json.loads(Path(spec_file).read_text())
    children = {"extract": child_extract, "landing": child_landing, "read_json": child_read_json}
    result = children[kind](spec)
    Path(spec["result"]).write_text(json.dumps(result))
    return 0
