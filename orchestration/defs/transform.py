"""Staging, core and KPI marts: dbt models built against the same DuckDB file, or with
WAREHOUSE_ENGINE=spark on a Spark cluster, then copied into that file (orchestration/spark/)."""

import importlib.metadata
import json
import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import dagster as dg
import yaml
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from packaging import version

from ingestion.connections import dbt_connections
from ingestion.lake import spark_registration
from ingestion.settings import PROJECT_ROOT, ConfigError, load_settings
from orchestration.defs.ingestion import CONNECTIONS, DUCKDB_POOL
from orchestration.lib.errors import UserFacingError
from orchestration.lib.manifest import manifest_path
from orchestration.lib.partitions import run_window
from orchestration.lib.translators import WarehouseDbtTranslator
from orchestration.spark.cluster import master_problem
from orchestration.spark.environment import spark_dbt
from orchestration.spark.to_duckdb import EngineMismatch, copy_to_duckdb

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Prepared by `make setup` (dbt parse) for the configured CRM kinds (lib/manifest.py).
MANIFEST: Path = manifest_path(c.kind for c in CONNECTIONS)
DBT_DEFAULT_VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
if not MANIFEST.exists():
    raise FileNotFoundError(f"{MANIFEST} is missing: run `make setup` to prepare the dbt manifest")


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=WarehouseDbtTranslator(CONNECTIONS),
    pool=DUCKDB_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """dbt build: models with their tests, in dependency order."""
    try:
        settings = load_settings()
        connections = dbt_connections(settings)
    except ConfigError as exc:
        raise UserFacingError(str(exc)) from None
    # read by profiles.yml
    os.environ["WAREHOUSE_ENGINE"] = settings.warehouse_engine
    os.environ["WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ["DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
    spark = settings.warehouse_engine == "spark"
    if spark:
        kinds = [c["kind"] for c in connections]
        repeated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
        if repeated:
            raise UserFacingError(
                f"WAREHOUSE_ENGINE=spark reads one connection per CRM kind for now (several "
                f"{', '.join(repeated)} connections are configured): use the DuckDB engine"
            )
        problem = master_problem(settings.spark_master_url)
        if problem:
            raise UserFacingError(problem, retryable=True)
        os.environ["SPARK_MASTER_URL"] = settings.spark_master_url
        os.environ["LAKE_PATH"] = str(settings.lake_path.resolve())
    # The run's days (a partition or a backfill range) reach the incremental models as
    # env vars, not --vars: changing vars would make dbt re-parse the whole project.
    days = run_window(context.run.tags)
    os.environ["DBT_WINDOW_START"] = days[0] if days else ""
    # Settings equal to dbt_project.yml's defaults are not passed, for the same reason.
    all_vars = {**settings.dbt_vars(), "crm_connections": connections}
    dbt_vars = {k: v for k, v in all_vars.items() if DBT_DEFAULT_VARS.get(k) != v}
    # dbt.log at info level: its default, debug, serializes a score of events per node
    # (about 5% of a next-day build). DBT_LOG_LEVEL_FILE=debug brings every SQL statement back.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    # Unit tests check the SQL, not the data: `make test` runs them (test_end_to_end.py).
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    # One target folder per warehouse and engine, kept between runs: dbt re-parses only what
    # changed.
    target = settings.warehouse_path.parent / ("dbt_target_spark" if spark else "dbt_target")
    raw_schemas = [f"raw_{c['name']}" for c in connections]
    if spark:
        register_lake_tables(settings.lake_path, raw_schemas, dbt_vars, target)
    if spark:  # the dbt of .venv-spark (dbt-spark, pyspark)
        dbt = WarehouseDbtCli(project_dir=dbt_project, dbt_executable=str(spark_dbt()))
    invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target)
    yield from invocation.stream()
    if not invocation.is_successful():
        try:
            run_results = invocation.get_artifact("run_results.json")
        except (OSError, ValueError):  # dbt stopped before running a node: retried
            raise RuntimeError("dbt build stopped before running any node") from None
        raise dbt_failure(run_results)
    if spark:
        try:
            copied = copy_to_duckdb(
                target / "manifest.json", settings.lake_path, raw_schemas,
                settings.warehouse_path, settings.duckdb_memory_limit,
            )  # fmt: skip
        except (EngineMismatch, FileNotFoundError) as exc:
            raise UserFacingError(str(exc)) from None
        context.log.info(f"copied {len(copied)} Spark tables into {settings.warehouse_path}")


def register_lake_tables(lake: Path, raw_schemas: list[str], dbt_vars: dict, target: Path) -> None:
    """The lake's raw tables as Spark tables and current-rows views (dbt_project/macros/
    spark_lake.sql), before the build reads them."""
    tables = spark_registration(lake, raw_schemas)
    if not tables:
        raise UserFacingError(f"no raw tables in the lake {lake}: did the load run?")
    args = ["run-operation", "register_lake_tables", "--args", json.dumps({"tables": tables})]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    done = subprocess.run(
        [str(spark_dbt()), "--log-format", "text", *args,
         "--profiles-dir", ".", "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stdout + done.stderr).splitlines()]
        # Spark's own message (AnalysisException ... SQLSTATE), else dbt's last words
        cause = next((line for line in lines if "SQLSTATE" in line), None)
        cause = cause or " ".join(line for line in lines[-3:] if line)
        raise RuntimeError(f"registering the lake's raw tables on Spark failed: {cause[:400]}")


# dbt errors a retry can fix: another process holding the DuckDB file, I/O hiccups.
TRANSIENT_DBT_ERRORS = ("could not set lock", "conflicting lock", "io error")


def dbt_failure(run_results: dict) -> Exception:
    """A failed dbt build as one line. Failed tests and broken SQL are not retried (the
    data or the code must change first); a locked or unreadable file is."""
    failed = [r for r in run_results.get("results", []) if r.get("status") in ("fail", "error")]
    names = [r["unique_id"].split(".")[-1] for r in failed]
    summary = f"dbt build failed on {len(failed)} node(s): {', '.join(names[:8])}" + (
        " ..." if len(names) > 8 else ""
    )
    messages = " ".join(str(r.get("message") or "") for r in failed).lower()
    if (
        failed
        and all(r.get("status") == "error" for r in failed)
        and any(marker in messages for marker in TRANSIENT_DBT_ERRORS)
    ):
        return RuntimeError(f"{summary} (transient: {messages[:200]})")
    return UserFacingError(summary + "; see the failed checks in the run")


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource without two fixed costs it adds to every `dbt build`
    (3 to 4 s of a nightly run, a sixth of the next-day run on medium): running
    `dbt --version` in a subprocess to learn the version of dbt, and opening a dbt adapter
    in this process, which only its row-count and column-metadata options use (not used
    here). The dbt it runs is this venv's own, so its version is the installed dbt-core's.
    tests/unit/test_definitions.py fails if dagster-dbt renames these hooks."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's signature)
        return None


defs = dg.Definitions(
    assets=[warehouse_models],
    # The venv's own dbt, so it works without the venv on PATH.
    resources={
        "dbt": WarehouseDbtCli(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        )
    },
)
