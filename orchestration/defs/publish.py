"""Publish: after every blocking check passed, replace serving.duckdb atomically."""

import dagster as dg

from expectations.suites import SUITES
from ingestion.settings import load_settings
from orchestration.defs.ingestion import DUCKDB_POOL
from orchestration.defs.quality import QUARANTINE
from orchestration.lib.catalog import marts
from orchestration.publish.serving import publish_serving_file

# Everything audited: publishing waits for these assets and their blocking checks (the
# Great Expectations suites, the quarantine share and the dbt tests): every mart in dbt
# (catalog.py), the tables with a suite and the quarantine.
AUDITED = sorted(
    {m.key for m in marts()} | {dg.AssetKey(s.table.split(".")) for s in SUITES} | {QUARANTINE},
    key=lambda k: k.to_user_string(),
)


@dg.asset(
    key=["publish", "serving_duckdb"],
    kinds={"duckdb"},
    group_name="publish",
    deps=AUDITED,
    pool=DUCKDB_POOL,
    description="serving.duckdb for BI: core, marts and quarantine with their column "
    "comments, DuckDB v1.5.0 storage, swapped in atomically after the audit passed.",
)
def serving_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    published = publish_serving_file(
        settings.warehouse_path,
        settings.serving_path,
        context.run.run_id,
        settings.duckdb_memory_limit,
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published.path)),
            "tables": len(published.tables),
            "rows": dg.MetadataValue.json(published.tables),
        }
    )


defs = dg.Definitions(assets=[serving_duckdb])
