"""`make demo`: start the CRM sandbox, run the nightly job once, show what was built.

`make demo CRM=salesforce` reads the Salesforce sandbox instead, `CRM=both` a HubSpot portal
and a Salesforce org at once (two connections, written to demo-connections.yml beside the
warehouse). `make demo ENGINE=spark` builds the models on Spark: a standalone cluster
started here from the pyspark package for the run (or the one at SPARK_MASTER_URL), the raw
tables in the lake (LAKE_PATH, default data/lake), the build's copy in data/spark/. The
run is a real Dagster run recorded in DAGSTER_HOME, so `make dev` shows it afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import duckdb

from ingestion.sandbox.generator import PRESETS, unknown_preset_message
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.salesforce.runner import salesforce_process
from ingestion.settings import DEFAULT_DATA_DIR, PROJECT_ROOT, ConfigError, load_settings
from orchestration.lib.config import check_all_settings
from orchestration.lib.runs import first_failure, project_instance, run_nightly_job
from orchestration.spark.cluster import ClusterError, standalone_cluster

MARTS_SCHEMA = "marts"
CRMS = ("hubspot", "salesforce", "both")
ENGINES = ("duckdb", "spark")


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def data_summary(warehouse: str) -> list[str]:
    """Rows per core and mart table, and the top reps of the last complete month: the part
    of the demo's output that depends only on the data (README shows it)."""
    con = duckdb.connect(warehouse, read_only=True)
    try:
        lines = ["Rows per table:"]
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
        return lines
    finally:
        con.close()


def summary(warehouse: str, serving_path: str) -> str:
    lines = ["", f"Warehouse: {warehouse}", "", *data_summary(warehouse)]
    serving = Path(serving_path)
    if serving.exists():
        lines += ["", f"Audited copy for BI (Superset, Metabase; read-only): {serving}"]
    reports = Path(warehouse).parent / "reports" / "index.html"
    if reports.exists():
        lines += ["", f"Rep scorecards and team leaderboard: {reports}"]
    lines += [
        "",
        "Query it (the audited copy, as BI does):",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{serving_path}', read_only=True)"
        f".sql('select * from marts.mart_rep_performance_monthly limit 5'))\"",
        "",
        "Next: `make bi` opens the Sales performance dashboard in Superset over it;",
        "`make dev` opens the Dagster UI with this run; the sandbox stopped with the demo:",
        "`make sandbox` keeps one running for `make run`, `make backfill` and the UI.",
    ]
    return "\n".join(lines)


def demo_connections(org, folder: Path, with_hubspot: bool) -> Path:
    """The demo's connections file (beside the warehouse): the Salesforce sandbox (its
    client id and secret in variables, as a real org's), and the HubSpot sandbox of
    CRM_BASE_URL beside it."""
    os.environ["DEMO_SF_CLIENT_ID"] = org.client_id
    os.environ["DEMO_SF_CLIENT_SECRET"] = org.client_secret
    lines = ["# Written by `make demo CRM=...`: the sandboxes of the demo run.", "connections:"]
    if with_hubspot:
        lines.append(
            f"  - {{name: hubspot, kind: hubspot, base_url: '{os.environ['CRM_BASE_URL']}', "
            "token_env: CRM_ACCESS_TOKEN}"
        )
    lines.append(
        f"  - {{name: salesforce, kind: salesforce, base_url: '{org.base_url}', "
        "client_id_env: DEMO_SF_CLIENT_ID, client_secret_env: DEMO_SF_CLIENT_SECRET, "
        f"ca_bundle: '{org.ca_file}'}}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-connections.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


README = PROJECT_ROOT / "README.md"
README_BLOCK = re.compile(
    r"(<!-- demo-output:begin[^\n]*-->\n```\n)(.*?)(```\n<!-- demo-output:end -->)", re.S
)


def readme_demo_block(readme_text: str) -> str | None:
    """The demo output quoted in the README (None: the markers are missing)."""
    found = README_BLOCK.search(readme_text)
    return found.group(2) if found else None


def write_readme_block(warehouse: str) -> None:
    """Replace the README's quoted demo output with this run's (`--write-readme`)."""
    text = README.read_text()
    block = "\n".join(data_summary(warehouse)) + "\n"
    if readme_demo_block(text) is None:
        raise SystemExit("README.md has no demo-output markers")
    README.write_text(README_BLOCK.sub(lambda m: m.group(1) + block + m.group(3), text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default=os.environ.get("SANDBOX_PRESET", "small"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--crm",
        choices=CRMS,
        default=os.environ.get("CRM") or "hubspot",
        help="the sandbox CRM to read: hubspot, salesforce, or both at once",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=(
            os.environ.get("ENGINE") or os.environ.get("WAREHOUSE_ENGINE") or "duckdb"
        ).lower(),
        help="the engine that builds the models: duckdb (one file) or spark (a cluster)",
    )
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="also replace the demo output quoted in README.md with this run's",
    )
    args = parser.parse_args(argv)
    if args.preset not in PRESETS:
        print(f"error: {unknown_preset_message(args.preset)}", file=sys.stderr)
        return 2
    # Every setting is checked before anything starts (the sandbox's URL and token are set
    # below, so those two are stand-ins here).
    # The demo reads its own sandbox only, whatever connections are configured.
    os.environ["CRM_CONNECTIONS_FILE"] = ""
    os.environ["WAREHOUSE_ENGINE"] = args.engine
    if args.engine == "spark" and not os.environ.get("WAREHOUSE_PATH"):
        # a warehouse file belongs to one engine: Spark's copy of its build has its own
        (DEFAULT_DATA_DIR / "spark").mkdir(parents=True, exist_ok=True)
        os.environ["WAREHOUSE_PATH"] = str(DEFAULT_DATA_DIR / "spark" / "warehouse.duckdb")
    try:
        checked = check_all_settings(crm_base_url="http://127.0.0.1", crm_access_token="sandbox")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    own_cluster = args.engine == "spark" and not os.environ.get("SPARK_MASTER_URL")
    with ExitStack() as sandboxes:
        if own_cluster:
            step("starting a Spark standalone cluster (pyspark's master and one worker)")
            try:
                cluster = sandboxes.enter_context(
                    standalone_cluster(
                        checked.warehouse_path.parent / "spark_cluster", workers=1, cores=2,
                        memory="2g",
                    )
                )  # fmt: skip
            except ClusterError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            os.environ["SPARK_MASTER_URL"] = cluster.master_url
            step(f"Spark master at {cluster.master_url} (status page {cluster.ui_url})")
        if args.crm in ("hubspot", "both"):
            step(f"starting the HubSpot sandbox (preset {args.preset}, seed {args.seed})")
            hubspot = sandboxes.enter_context(sandbox_process(args.preset, args.seed))
            os.environ["CRM_BASE_URL"] = hubspot.base_url
            os.environ["CRM_ACCESS_TOKEN"] = hubspot.token
            step(f"sandbox serving HubSpot API v3 at {hubspot.base_url}")
        if args.crm in ("salesforce", "both"):
            # Another organisation than the HubSpot sandbox's (its own seed, the same in
            # both modes: the raw tables of one sandbox never meet another's).
            seed = args.seed + 1
            step(f"starting the Salesforce sandbox (preset {args.preset}, seed {seed})")
            org = sandboxes.enter_context(salesforce_process(args.preset, seed))
            os.environ["CRM_CONNECTIONS_FILE"] = str(
                demo_connections(
                    org, checked.warehouse_path.parent, with_hubspot=args.crm == "both"
                )
            )
            step(f"sandbox serving the Salesforce REST API at {org.base_url}")
        # The sandbox has no rate limit (unless faults are switched on): go fast.
        os.environ.setdefault("CRM_MAX_REQUESTS_PER_10S", "1000")
        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if settings.warehouse_engine == "spark":
            step(
                f"running the nightly job: extract (dlt) -> {settings.lake_path} -> dbt build "
                f"on {settings.spark_master_url} -> {settings.warehouse_path}"
            )
        else:
            step(
                f"running the nightly job: extract (dlt) -> {settings.warehouse_path} -> dbt build"
            )
        instance = project_instance()
        result = run_nightly_job(instance)
    step("sandbox stopped" + (", and the Spark cluster" if own_cluster else ""))
    if not result.success:
        print(f"error: {first_failure(result)}", file=sys.stderr)
        return 1
    step(f"done in {time.monotonic() - started:.0f}s (Dagster run {result.run_id[:8]})")
    print(summary(str(settings.warehouse_path), str(settings.serving_path)))
    if args.write_readme:
        write_readme_block(str(settings.warehouse_path))
        step("README.md's demo output updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
