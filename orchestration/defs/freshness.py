"""Freshness checks on the raw tables and the marts: hours from the newest CRM change
loaded to the CRM's clock now. A warning after FRESHNESS_WARN_AFTER_HOURS (26), an error
after FRESHNESS_MAX_AGE_HOURS (50). They run in every nightly run and every hour on their
own (job `freshness_checks`), so a night that did not run shows up too.

"The CRM's clock now" is the clock the CRM sent at the last extraction plus the time
passed since, so it works for the real API and for the sandbox's fixed clock alike.
"""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from ingestion.settings import load_settings
from orchestration.defs.ingestion import DUCKDB_POOL
from orchestration.lib.catalog import (
    Manifest,
    load_manifest,
    marts,
    not_deleted,
    watched_raw_tables,
)


def newest_change_queries(manifest: Manifest) -> dict[dg.AssetKey, str]:
    """The watched assets and how to read their newest CRM change: the raw tables where
    some change lands every working day (dbt sources with a loaded_at_field), and every
    mart (catalog.py)."""
    return {
        **{
            t.key: f"select max({t.loaded_at_field}) from {t.relation}"
            + not_deleted(t.deleted_column)
            for t in watched_raw_tables(manifest)
        },
        # Marts describe the warehouse's newest change (intermediate.int_data_as_of).
        **{
            m.key: "select newest_change_at from intermediate.int_data_as_of"
            for m in marts(manifest)
        },
    }


NEWEST_CHANGE_SQL = newest_change_queries(load_manifest())
CRM_NOW_SQL = """
    select crm_clock_at + (current_timestamp - to_timestamp(cast(load_id as double)))
    from intermediate.int_crm__extractions order by load_id desc limit 1
"""


def _first_value(con: duckdb.DuckDBPyConnection, sql: str) -> datetime | None:
    """The query's single timestamp in UTC (None: no table yet, or nothing loaded)."""
    try:
        row = con.execute(sql).fetchone()
    except duckdb.CatalogException:
        return None
    if not row or row[0] is None:
        return None
    value = row[0]
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def freshness_result(
    key: dg.AssetCheckKey, hours: float | None, warn: float, fail: float
) -> dg.AssetCheckResult:
    if hours is None:
        return dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description="nothing loaded yet: run the nightly job",
        )
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=hours <= warn,
        severity=dg.AssetCheckSeverity.ERROR if hours > fail else dg.AssetCheckSeverity.WARN,
        description=f"newest CRM change loaded is {hours:.1f} h old "
        f"(warn after {warn:g} h, fail after {fail:g} h)",
        metadata={"age_hours": round(hours, 2), "warn_after": warn, "fail_after": fail},
    )


CHECK_SPECS = [
    dg.AssetCheckSpec(name="fresh", asset=key, description="Newest CRM change loaded is recent.")
    for key in NEWEST_CHANGE_SQL
]


@dg.multi_asset_check(specs=CHECK_SPECS, can_subset=True, pool=DUCKDB_POOL)
def freshness(context: dg.AssetCheckExecutionContext):
    settings = load_settings()
    warn, fail = settings.freshness_warn_after_hours, settings.freshness_max_age_hours
    con = duckdb.connect(
        str(settings.warehouse_path), read_only=True, config=settings.duckdb_config()
    )
    try:
        now = _first_value(con, CRM_NOW_SQL)
        newest: dict[str, datetime | None] = {}  # the marts share one query
        for key in context.selected_asset_check_keys:
            sql = NEWEST_CHANGE_SQL[key.asset_key]
            if sql not in newest:
                newest[sql] = _first_value(con, sql)
            changed = newest[sql]
            hours = (
                None if now is None or changed is None else (now - changed).total_seconds() / 3600
            )
            yield freshness_result(key, hours, warn, fail)
    finally:
        con.close()


freshness_job = dg.define_asset_job(
    "freshness_checks",
    selection=dg.AssetSelection.checks(freshness),
    description="Freshness of the raw tables and marts, between nightly runs.",
)
freshness_schedule = dg.ScheduleDefinition(
    name="freshness_checks_hourly",
    job=freshness_job,
    cron_schedule="30 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(
    asset_checks=[freshness], jobs=[freshness_job], schedules=[freshness_schedule]
)
