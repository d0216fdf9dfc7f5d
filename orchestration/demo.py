"""`make demo`: start the CRM sandbox, run the nightly job once, show what was built.

The run is a real Dagster run recorded in DAGSTER_HOME, so `make dev` shows it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from ingestion.sandbox.generator import PRESETS, unknown_preset_message
from ingestion.sandbox.runner import sandbox_process
from ingestion.settings import ConfigError, load_settings
from orchestration.lib.runs import first_failure, project_instance, run_nightly_job

MARTS_SCHEMA = "marts"


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def summary(warehouse: str, serving_path: str) -> str:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        lines = ["", f"Warehouse: {warehouse}", "", "Rows per mart:"]
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('core', 'marts') order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            n = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            lines.append(f"  {schema + '.' + table:<42} {n:>8,}")
        # Last complete month: the month before the newest month with data.
        month = con.execute(
            f"select max(month_start) - interval 1 month from {MARTS_SCHEMA}.mart_rep_performance_monthly"
        ).fetchone()[0]
        top = con.execute(
            f"""
            select rep_name, team_name, bookings, quota, quota_attainment, win_rate
            from {MARTS_SCHEMA}.mart_rep_performance_monthly
            where month_start = ? and quota_attainment is not null
            order by quota_attainment desc, rep_name
            limit 5
            """,
            [month],
        ).fetchall()
        lines += ["", f"Top 5 reps by quota attainment, {month:%B %Y} (last complete month):"]
        lines.append(
            f"  {'rep':<28} {'team':<26} {'bookings':>12} {'quota':>12} {'attain':>7} {'win':>6}"
        )
        for name, team, bookings, quota, attainment, win_rate in top:
            win = f"{win_rate:.0%}" if win_rate is not None else "-"
            lines.append(
                f"  {name:<28} {team or '-':<26} {bookings:>12,.2f} {quota:>12,.2f} "
                f"{attainment:>7.0%} {win:>6}"
            )
        serving = Path(serving_path)
        if serving.exists():
            lines += ["", f"Audited copy for BI (Metabase, read-only): {serving}"]
        reports = Path(warehouse).parent / "reports" / "index.html"
        if reports.exists():
            lines += ["", f"Rep scorecards and team leaderboard: {reports}"]
        lines += [
            "",
            "Query it (the audited copy, as BI does):",
            f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{serving_path}', read_only=True)"
            f".sql('select * from marts.mart_rep_performance_monthly limit 5'))\"",
        ]
        return "\n".join(lines)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default=os.environ.get("SANDBOX_PRESET", "small"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.preset not in PRESETS:
        print(f"error: {unknown_preset_message(args.preset)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    step(f"starting the CRM sandbox (preset {args.preset}, seed {args.seed})")
    with sandbox_process(args.preset, args.seed) as sandbox:
        os.environ["CRM_BASE_URL"] = sandbox.base_url
        os.environ["CRM_ACCESS_TOKEN"] = sandbox.token
        # The sandbox has no rate limit (unless faults are switched on): go fast.
        os.environ.setdefault("CRM_MAX_REQUESTS_PER_10S", "1000")
        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        step(f"sandbox serving HubSpot API v3 at {sandbox.base_url}")
        step(f"running the nightly job: extract (dlt) -> {settings.warehouse_path} -> dbt build")
        instance = project_instance()
        result = run_nightly_job(instance)
    step("sandbox stopped")
    if not result.success:
        print(f"error: {first_failure(result)}", file=sys.stderr)
        return 1
    step(f"done in {time.monotonic() - started:.0f}s (Dagster run {result.run_id[:8]})")
    print(summary(str(settings.warehouse_path), str(settings.serving_path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
