"""Compare mart rows with ground truth: counts exactly, money to the cent, rates to 1e-9."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import duckdb

from ingestion.sandbox.truth import (
    FORECAST_BUCKETS,
    RISK_SIGNALS,
    WATERFALL_MOVES,
    Truth,
    company_month_of,
)

CENT = Decimal("0.005")
MONEY = {
    "bookings",
    "lost_amount",
    "quota",
    "open_pipeline_start",
    "weighted_pipeline_start",
    *(f"{move}_amount" for move in WATERFALL_MOVES),
    *(f"{bucket}_amount" for bucket in FORECAST_BUCKETS),
    "best_case_call_amount",
    "commit_won_amount",
    "called_won_amount",
    "highest_amount_home",
}


def same(column: str, got, expected) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if column in MONEY:
        return abs(Decimal(str(got)) - Decimal(expected)) < CENT
    if isinstance(expected, int) and not isinstance(expected, bool):
        return got == expected
    if isinstance(expected, bool):
        return bool(got) == expected
    if isinstance(expected, date | str):
        return got == expected
    # Day counts are stored with 9 decimals, so a difference of two is within 2e-9.
    return math.isclose(float(got), float(expected), rel_tol=1e-9, abs_tol=2e-9)


def mart_rows(con: duckdb.DuckDBPyConnection, sql: str, key_columns: int) -> dict[tuple, dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    out = {}
    for row in cur.fetchall():
        key = tuple(row[:key_columns])
        out[key] = dict(zip(names[key_columns:], row[key_columns:], strict=True))
    return out


def mismatches(mart: dict[tuple, dict], truth: dict[tuple, dict], columns: list[str]) -> list[str]:
    problems = []
    missing, extra = set(truth) - set(mart), set(mart) - set(truth)
    if missing:
        problems.append(f"{len(missing)} rows missing from the mart, e.g. {sorted(missing)[:2]}")
    if extra:
        problems.append(f"{len(extra)} extra rows in the mart, e.g. {sorted(extra)[:2]}")
    for key in sorted(set(mart) & set(truth)):
        for col in columns:
            if not same(col, mart[key][col], truth[key][col]):
                problems.append(
                    f"{key} {col}: mart {mart[key][col]!r} != truth {truth[key][col]!r}"
                )
    return problems


PERFORMANCE_COLUMNS = [
    "won_deals", "lost_deals", "win_rate", "win_rate_by_value", "bookings", "lost_amount",
    "avg_deal_size", "sales_cycle_days_median", "sales_cycle_days_mean", "quota",
    "quota_attainment", "open_pipeline_start", "weighted_pipeline_start", "expected_deals_start",
    "pipeline_coverage", "forecast_accuracy", "forecast_bias", "slipped_deals", "slippage_rate",
    "open_qualified_deals_start", "sales_velocity_per_day", "calls", "connected_calls", "emails",
    "meetings", "tasks_completed", "activities_total", "activities_per_won_deal", "leads_created",
    "leads_converted", "lead_conversion_rate", "days_to_convert_median", "csat_responses",
    "csat_avg", "nps_responses", "nps",
]  # fmt: skip


WATERFALL_COLUMNS = [f"{move}_{unit}" for move in WATERFALL_MOVES for unit in ("deals", "amount")]


FORECAST_COLUMNS = [
    *(f"{bucket}_{unit}" for bucket in FORECAST_BUCKETS for unit in ("deals", "amount")),
    "week_start", "is_period_over", "best_case_call_amount", "won_deals", "bookings",
    "commit_accuracy", "commit_bias", "commit_won_amount", "called_won_amount",
    "commit_hit_rate", "commit_capture_rate",
]  # fmt: skip
RISK_COLUMNS = [
    *(f"is_{s}" for s in RISK_SIGNALS), "signal_count", "risk_level", "owner_id",
    "days_without_activity", "usual_quiet_days", "days_in_stage", "usual_stage_days",
    "close_pushes", "highest_amount_home",
]  # fmt: skip
BACKTEST_COLUMNS = [
    "closed_deals", "won_deals", "lost_deals", "lost_share",
    *(f"{s}_{k}" for s in RISK_SIGNALS for k in ("deals", "lost_deals")),
]  # fmt: skip
RAMP_COLUMNS = [
    "start_month", "started_before_history", "tenure_month", "won_deals", "bookings", "quota",
    "quota_attainment",
]  # fmt: skip
COHORT_COLUMNS = [
    "started_before_history", "reps", "reps_with_quota", "won_deals", "bookings", "quota",
    "quota_attainment", "quota_attainment_median",
]  # fmt: skip
DISTRIBUTION_COLUMNS = [
    "reps_with_quota", "reps_under_50pct", "reps_50_to_100pct", "reps_100pct_or_more",
    "share_under_50pct", "share_50_to_100pct", "share_100pct_or_more", "attainment_p25",
    "attainment_median", "attainment_p75",
]  # fmt: skip


def compare_all(path: str, truth: Truth, crm_source: str | None = None) -> dict[str, list[str]]:
    """Every mart against its ground truth; returns problems per mart (empty when equal).

    crm_source: compare only that connection's rows with `truth` (a warehouse reading several
    CRM connections). The company mart and the scorecard's company columns span every
    connection, so they are left to compare_company (with every connection's truth)."""
    con = duckdb.connect(path, read_only=True)
    cols = ", ".join(PERFORMANCE_COLUMNS)
    where = f" where crm_source = '{crm_source}'" if crm_source else ""
    scorecard_columns = [
        "value",
        "team_median",
        "team_percentile",
        "change_vs_previous",
        "sample_size",
        "is_strength",
        "is_weakness",
    ]
    if not crm_source:
        scorecard_columns += ["company_median", "company_percentile"]
    try:
        results = {
            "mart_rep_performance_monthly": mismatches(
                mart_rows(con, f"select owner_id, month_start, {cols} from marts.mart_rep_performance_monthly{where}", 2),
                truth.rep_month(),
                PERFORMANCE_COLUMNS,
            ),
            "mart_team_performance_monthly": mismatches(
                mart_rows(con, f"select team_id, month_start, {cols} from marts.mart_team_performance_monthly{where}", 2),
                truth.team_month(),
                PERFORMANCE_COLUMNS,
            ),
            "mart_stage_funnel": mismatches(
                mart_rows(con, f"select pipeline_id, stage_id, created_month, deals_entered, conversion_to_next, median_days_in_stage from marts.mart_stage_funnel{where}", 3),
                truth.stage_funnel(),
                ["deals_entered", "conversion_to_next", "median_days_in_stage"],
            ),
            "mart_activity_effectiveness": mismatches(
                mart_rows(con, f"select owner_id, fiscal_quarter_start, meetings_bucket, closed_deals, won_deals, win_rate from marts.mart_activity_effectiveness{where}", 3),
                truth.activity_effectiveness(),
                ["closed_deals", "won_deals", "win_rate"],
            ),
            "mart_lead_funnel": mismatches(
                mart_rows(con, f"select owner_id, created_month, lifecycle_stage, contacts_reached, conversion_to_next from marts.mart_lead_funnel{where}", 3),
                truth.lead_funnel(),
                ["contacts_reached", "conversion_to_next"],
            ),
            "mart_pipeline_waterfall": compare_waterfall(con, truth, crm_source),
            "mart_rep_scorecard": mismatches(
                mart_rows(con, f"select owner_id, month_start, kpi, {', '.join(scorecard_columns)} from marts.mart_rep_scorecard{where}", 3),
                truth.scorecard(),
                scorecard_columns,
            ),
        }  # fmt: skip
        results["mart_forecast_calls"] = mismatches(
            mart_rows(con, f"select aggregation_level, coalesce(owner_id, team_id, 'company'), period_type, period_start, week_number, {', '.join(FORECAST_COLUMNS)} from marts.mart_forecast_calls{where}", 5),
            {k: v for k, v in truth.forecast_calls().items() if not crm_source or k[0] != "company"},
            FORECAST_COLUMNS,
        )  # fmt: skip
        results["mart_rep_ramp"] = mismatches(
            mart_rows(con, f"select owner_id, month_start, {', '.join(RAMP_COLUMNS)} from marts.mart_rep_ramp{where}", 2),
            truth.rep_ramp(),
            RAMP_COLUMNS,
        )  # fmt: skip
        results["mart_attainment_distribution"] = mismatches(
            mart_rows(con, f"select aggregation_level, coalesce(team_id, 'company'), period_type, period_start, {', '.join(DISTRIBUTION_COLUMNS)} from marts.mart_attainment_distribution{where}", 4),
            {k: v for k, v in truth.attainment_distribution().items() if not crm_source or k[0] != "company"},
            DISTRIBUTION_COLUMNS,
        )  # fmt: skip
        if (
            not crm_source
        ):  # the company's baselines, the backtest and the cohorts span every connection
            results["int_deal_risk_signals"] = mismatches(
                mart_rows(con, f"select evaluation, deal_id, {', '.join(RISK_COLUMNS)} from intermediate.int_deal_risk_signals", 2),
                truth.deal_risk(),
                RISK_COLUMNS,
            )  # fmt: skip
            results["mart_deal_risk_backtest"] = mismatches(
                mart_rows(con, f"select closed_month, risk_level, {', '.join(BACKTEST_COLUMNS)} from marts.mart_deal_risk_backtest", 2),
                truth.risk_backtest(),
                BACKTEST_COLUMNS,
            )  # fmt: skip
            results["mart_ramp_cohorts"] = mismatches(
                mart_rows(con, f"select start_month, tenure_month, {', '.join(COHORT_COLUMNS)} from marts.mart_ramp_cohorts", 2),
                truth.ramp_cohorts(),
                COHORT_COLUMNS,
            )  # fmt: skip
    finally:
        con.close()
    if not crm_source:
        results["mart_company_performance_monthly"] = compare_company(path, [truth])
    return results


def compare_waterfall(
    con: duckdb.DuckDBPyConnection, truth: Truth, crm_source: str | None = None
) -> list[str]:
    """mart_pipeline_waterfall against the truth: every rep, team and company row (only the
    rep and team rows of crm_source when given)."""
    where = f" where crm_source = '{crm_source}'" if crm_source else ""
    expected = truth.pipeline_waterfall()
    if crm_source:
        expected = {k: v for k, v in expected.items() if k[0] != "company"}
    return mismatches(
        mart_rows(con, f"select aggregation_level, coalesce(owner_id, team_id, 'company'), period_type, period_start, {', '.join(WATERFALL_COLUMNS)} from marts.mart_pipeline_waterfall{where}", 4),
        expected,
        WATERFALL_COLUMNS,
    )  # fmt: skip


def compare_company(path: str, truths: list[Truth]) -> list[str]:
    """The company mart against the truth of every CRM connection read as one organisation."""
    con = duckdb.connect(path, read_only=True)
    cols = ", ".join(PERFORMANCE_COLUMNS)
    try:
        return mismatches(
            mart_rows(con, f"select 'company', month_start, {cols} from marts.mart_company_performance_monthly", 2),
            company_month_of(truths),
            PERFORMANCE_COLUMNS,
        )  # fmt: skip
    finally:
        con.close()
