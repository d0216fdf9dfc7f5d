"""Rep feedback reports: a scorecard page per rep and a team leaderboard, written as
static HTML beside the warehouse after the marts are built."""

import dagster as dg

from ingestion.settings import ConfigError, load_settings
from orchestration.defs.ingestion import DUCKDB_POOL
from orchestration.lib.errors import UserFacingError
from orchestration.reports import reports_dir_for, write_reports

# Everything the pages read; the asset runs after all of them are rebuilt.
READS = [
    dg.AssetKey(["marts", "mart_rep_performance_monthly"]),
    dg.AssetKey(["marts", "mart_team_performance_monthly"]),
    dg.AssetKey(["marts", "mart_rep_scorecard"]),
    dg.AssetKey(["marts", "mart_rep_scorecard_wide"]),
    dg.AssetKey(["core", "fct_deals"]),
    dg.AssetKey(["intermediate", "int_data_as_of"]),
    dg.AssetKey(["intermediate", "int_deal_stage_stays"]),
    dg.AssetKey(["intermediate", "int_crm__deal_history"]),
]


@dg.asset(
    key=["reports", "rep_scorecards"],
    group_name="reports",
    deps=READS,
    kinds={"html"},
    # Only reads DuckDB, but a read-only open fails while another process writes the
    # file, so it queues with the writers.
    pool=DUCKDB_POOL,
    description=(
        "Per rep a static HTML scorecard (12-month trend, KPIs against the team median, "
        "strengths and weaknesses, the month's pipeline waterfall, forecast calls, open deals "
        "at risk with their reasons) and a team leaderboard, in the `reports` folder beside "
        "the warehouse."
    ),
)
def rep_scorecards(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise UserFacingError(str(exc)) from None
    if not settings.warehouse_path.exists():
        raise UserFacingError(
            f"{settings.warehouse_path} does not exist: run the nightly_warehouse job first "
            "(or set WAREHOUSE_PATH to a built warehouse)"
        )
    summary = write_reports(
        settings.warehouse_path,
        reports_dir_for(settings.warehouse_path),
        currency=settings.home_currency,
        timezone=settings.reporting_timezone,
    )
    context.log.info(f"wrote {summary.reps_written} rep pages and {summary.index_path}")
    month = summary.month_start.isoformat() if summary.month_start else "none"
    return dg.MaterializeResult(
        metadata={
            "reps_written": summary.reps_written,
            "month": month,
            "deals_flagged": summary.deals_flagged,
            "path": dg.MetadataValue.path(str(summary.index_path)),
        }
    )


defs = dg.Definitions(assets=[rep_scorecards])
