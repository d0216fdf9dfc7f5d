"""Audit: Great Expectations suites (expectations/) and the quarantine share as asset
checks. Critical ones are blocking: publish does not run when one fails. dbt tests are
asset checks too (defs/transform.py)."""

import dagster as dg
import duckdb

from expectations.suites import SUITES, Suite
from expectations.validate import read, validate
from ingestion.settings import load_settings
from orchestration.defs.ingestion import DUCKDB_POOL
from orchestration.lib.catalog import (
    QuarantinedObject,
    not_deleted,
    quarantine_union,
    quarantined_objects,
)

QUARANTINE = quarantine_union().key
# The object types quarantined_records unions, each with the raw table it checks.
QUARANTINED = quarantined_objects()


def loaded_records_sql(objects: list[QuarantinedObject], tables: set[str] | None = None) -> str:
    """Records loaded per connection and object type, deleted ones left out: the shares'
    denominators. `tables`: the raw tables that exist (schema.table), when some may not (an
    object the CRM account lacks has none, and nothing of it is quarantined)."""
    parts = [
        f"select '{crm_source}' as crm_source, '{o.object_type}' as object_type, "
        f"count(*) as records from {relation}{not_deleted(o.deleted_column)}"
        for o in objects
        for crm_source, relation in o.records_by_source
        if tables is None or relation in tables
    ]
    # No quarantine models (no CRM kind with any configured): nothing is quarantined.
    none = "select '' as crm_source, '' as object_type, 0 as records where false"
    return " union all ".join(parts) or none


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }


def _suite_key(suite: Suite) -> dg.AssetKey:
    return dg.AssetKey(suite.table.split("."))


def _check_name(suite: Suite) -> str:
    return f"gx_{suite.table.split('.')[1]}"


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            name=_check_name(s),
            asset=_suite_key(s),
            description=f"Great Expectations suite for {s.table} (expectations/suites.py).",
            blocking=True,
        )
        for s in SUITES
    ],
    name="gx_suites",
    can_subset=True,
    pool=DUCKDB_POOL,
)
def gx_suites(context: dg.AssetCheckExecutionContext):
    """Every selected suite in one step (one step each cost a tenth of a second of a night
    apiece): each is still its own check on its own table, passing or failing alone."""
    selected = context.selected_asset_check_keys
    settings = load_settings()
    con = duckdb.connect(
        str(settings.warehouse_path), read_only=True, config=settings.duckdb_config()
    )
    try:
        for suite in SUITES:
            key = dg.AssetCheckKey(_suite_key(suite), _check_name(suite))
            if key in selected:
                yield _run_suite(con, suite, settings.freshness_max_age_hours)
    finally:
        con.close()


def _run_suite(con: duckdb.DuckDBPyConnection, suite: Suite, max_age: float) -> dg.AssetCheckResult:
    result = {"asset_key": _suite_key(suite), "check_name": _check_name(suite)}
    try:
        frame, ctx = read(con, suite, {"freshness_max_age_hours": max_age})
    except duckdb.Error as exc:  # the table is missing or unreadable: this check fails alone
        return dg.AssetCheckResult(
            **result,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"{suite.table} could not be read: {str(exc).splitlines()[0]}",
        )
    outcomes = validate(suite, frame, ctx)
    failed = [o for o in outcomes if not o.success]
    critical = [o for o in failed if o.critical]
    return dg.AssetCheckResult(
        **result,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if critical else dg.AssetCheckSeverity.WARN,
        description="; ".join(
            f"{o.check} failed ({o.unexpected if o.unexpected is not None else o.observed})"
            for o in failed
        )
        or None,
        metadata={
            "rows": len(frame),
            "expectations": len(outcomes),
            "failed": [o.check for o in failed],
        },
    )


@dg.asset_check(
    asset=QUARANTINE,
    name="quarantine_share_within_threshold",
    description="Share of each object type's records in quarantine stays at or below "
    "QUARANTINE_MAX_SHARE; above it, something is wrong upstream and publish is blocked.",
    blocking=True,
    pool=DUCKDB_POOL,
)
def quarantine_share_within_threshold() -> dg.AssetCheckResult:
    settings = load_settings()
    con = duckdb.connect(
        str(settings.warehouse_path), read_only=True, config=settings.duckdb_config()
    )
    try:
        counts = con.execute(
            f"""
            with loaded as (
                {loaded_records_sql(QUARANTINED, existing_tables(con))}
            )
            select l.crm_source, l.object_type, l.records, count(q.loaded_id) as quarantined
            from loaded as l
            left join quarantine.quarantined_records as q
                on q.crm_source = l.crm_source and q.object_type = l.object_type
            group by 1, 2, 3 order by 1, 2
            """
        ).fetchall()
        reasons = con.execute(
            "select object_type || ': ' || reason, count(*) from quarantine.quarantined_records "
            "group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    limit = settings.quarantine_max_share
    # Named by object type; by connection and object type when there are several.
    several = len({source for source, *_ in counts}) > 1
    counts = [(f"{s} {t}" if several else t, n, q) for s, t, n, q in counts]
    over = {t: q / n for t, n, q in counts if n and q / n > limit}
    total = sum(q for _, _, q in counts)
    return dg.AssetCheckResult(
        passed=not over,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "; ".join(
                f"{t}: {share:.1%} quarantined (limit {limit:.1%})" for t, share in over.items()
            )
            if over
            else f"{total} records quarantined, every object type within {limit:.1%}"
        ),
        metadata={
            "quarantined": total,
            "by_reason": {k: int(v) for k, v in reasons},
            "by_object": {t: f"{q}/{n}" for t, n, q in counts},
        },
    )


defs = dg.Definitions(asset_checks=[gx_suites, quarantine_share_within_threshold])
