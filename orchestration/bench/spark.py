"""What WAREHOUSE_ENGINE=spark costs on this machine: the same nightly job (a full night, then
the next night one simulated day later) on a local Spark standalone cluster started from the
pyspark package, against a sandbox of the same preset and seed as section nightly's, as
ratios to the DuckDB engine's runs measured in this command (sections nightly and
incremental)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from ingestion.sandbox.runner import sandbox_process
from orchestration.bench.common import BenchError
from orchestration.bench.nightly import (
    advance_one_day,
    dbt_row,
    environment,
    nightly_env,
    run_nightly,
)
from orchestration.bench.progress import say
from orchestration.spark.cluster import standalone_cluster

if TYPE_CHECKING:
    from orchestration.bench.sections import Bench

WORKERS, CORES, MEMORY = 1, 2, "2g"  # the machine's 2 cores, as DuckDB has them


def measure(bench: Bench) -> None:
    folder = bench.workdir / "spark"
    say(
        f"WAREHOUSE_ENGINE=spark: a standalone cluster ({WORKERS} worker, {CORES} cores, "
        f"{MEMORY}) and a new {bench.preset} sandbox (seed {bench.seed})"
    )
    instance = dg.DagsterInstance.ephemeral()
    with (
        sandbox_process(bench.preset, bench.seed, timeout=3600) as sb,
        standalone_cluster(folder / "cluster", WORKERS, CORES, MEMORY) as cluster,
    ):
        env = {
            **nightly_env(folder, sb),
            "WAREHOUSE_ENGINE": "spark",
            "LAKE_PATH": str(folder / "lake"),
            "SPARK_MASTER_URL": cluster.master_url,
        }
        for label, duckdb_label in (("spark full", "full"), ("spark incremental", "incremental")):
            if label == "spark incremental":
                advance_one_day(sb)
            with environment(env):
                run = run_nightly(instance, label.replace(" ", "_"), None)
            bench.report.runs[label] = run
            if run.failure:
                raise BenchError(run.failure)
            on_duckdb = bench.report.runs.get(duckdb_label)
            ratio = (
                f"{run.seconds / on_duckdb.seconds:.1f}x the DuckDB engine's {on_duckdb.seconds:.0f} s"
                if on_duckdb and not on_duckdb.failure
                else "no DuckDB run to compare (section nightly skipped or failed)"
            )
            bench.report.add(
                f"Nightly run on Spark ({label.split()[1]})", f"{run.seconds:.0f} s; {ratio}"
            )
            dbt_row(bench.report, label, run)
