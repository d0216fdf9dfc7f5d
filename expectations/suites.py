"""Great Expectations suites for the marts and core facts, kept as reviewable code.

Each suite names a warehouse table and its expectations. Expectations marked critical
block publishing when they fail; the others warn. Some expectations need numbers from
other tables (row counts against staging, reconciliation totals): `context_queries`
computes those in DuckDB first, and the expectation builders read them from `ctx`.

GX validates pandas DataFrames read from DuckDB: its SQL path cannot read DuckDB
(ARCHITECTURE.md). Large facts are checked in SQL by dbt tests instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import great_expectations as gx

Builder = Callable[[dict[str, Any]], gx.expectations.Expectation]

RATES = ["win_rate", "win_rate_by_value", "slippage_rate", "lead_conversion_rate"]
NON_NEGATIVE = [
    "won_deals",
    "lost_deals",
    "bookings",
    "lost_amount",
    "quota",
    "quota_attainment",
    "open_pipeline_start",
    "weighted_pipeline_start",
    "pipeline_coverage",
    "calls",
    "emails",
    "meetings",
    "tasks_completed",
    "leads_created",
    "sales_cycle_days_median",
]
CENT = 0.005
# mart_pipeline_waterfall's moves (each as _deals and _amount, never negative)
WATERFALL_MOVES = [
    "pipeline_start", "created", "pulled_in", "reopened", "transferred_in", "increase",
    "decrease", "pushed_out", "won", "lost", "deleted", "transferred_out", "pipeline_end",
]  # fmt: skip


@dataclass(frozen=True)
class Check:
    name: str
    build: Builder
    critical: bool = True


@dataclass(frozen=True)
class Suite:
    table: str  # schema.table in the warehouse
    checks: list[Check]
    columns: str = "*"
    context_queries: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.table.replace(".", "__")


def between(column: str, low: float | None, high: float | None, critical: bool = True) -> Check:
    return Check(
        f"{column}_between_{low}_and_{high}",
        lambda ctx: gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, min_value=low, max_value=high
        ),
        critical,
    )


def not_null(column: str) -> Check:
    return Check(
        f"{column}_not_null",
        lambda ctx: gx.expectations.ExpectColumnValuesToNotBeNull(column=column),
    )


def row_count_equals(key: str) -> Check:
    return Check(
        f"row_count_equals_{key}",
        lambda ctx: gx.expectations.ExpectTableRowCountToEqual(value=int(ctx[key])),
    )


def sum_equals(column: str, key: str) -> Check:
    return Check(
        f"sum_of_{column}_equals_{key}",
        lambda ctx: gx.expectations.ExpectColumnSumToBeBetween(
            column=column, min_value=float(ctx[key]) - CENT, max_value=float(ctx[key]) + CENT
        ),
    )


def performance_checks() -> list[Check]:
    return [
        not_null("month_start"),
        *(between(c, 0, 1) for c in RATES),
        *(between(c, 0, None) for c in NON_NEGATIVE),
        between("forecast_accuracy", None, 1),
        between("csat_avg", 1, 5),
        between("nps", -100, 100),
    ]


REP_MONTHS = "select count(*) from core.dim_reps cross join intermediate.int_reporting_months"
WON_BOOKINGS = (
    "select coalesce(sum(amount_home), 0) from core.fct_deals "
    "where is_won and owner_id in (select owner_id from core.dim_reps)"
)

SUITES: list[Suite] = [
    Suite(
        "marts.mart_rep_performance_monthly",
        [
            not_null("owner_id"),
            not_null("rep_name"),
            *performance_checks(),
            row_count_equals("reps_x_months"),
            sum_equals("bookings", "won_bookings_in_fct_deals"),
        ],
        context_queries={"reps_x_months": REP_MONTHS, "won_bookings_in_fct_deals": WON_BOOKINGS},
    ),
    Suite(
        "marts.mart_team_performance_monthly",
        [not_null("team_id"), not_null("team_name"), *performance_checks()],
    ),
    Suite(
        "marts.mart_company_performance_monthly",
        [
            *performance_checks(),
            row_count_equals("months"),
            sum_equals("bookings", "won_bookings_in_fct_deals"),
        ],
        context_queries={
            "months": "select count(*) from intermediate.int_reporting_months",
            "won_bookings_in_fct_deals": WON_BOOKINGS,
        },
    ),
    Suite(
        "marts.mart_rep_scorecard",
        [
            not_null("owner_id"),
            between("team_percentile", 0, 1),
            between("company_percentile", 0, 1),
            Check(
                "kpi_in_scorecard_list",
                lambda ctx: gx.expectations.ExpectColumnValuesToBeInSet(
                    column="kpi",
                    value_set=[
                        "bookings",
                        "quota_attainment",
                        "win_rate",
                        "avg_deal_size",
                        "sales_cycle_days_median",
                        "pipeline_coverage",
                        "activities",
                        "lead_conversion_rate",
                        "csat_avg",
                    ],
                ),
            ),
            row_count_equals("reps_x_months_x_9"),
        ],
        context_queries={"reps_x_months_x_9": f"select 9 * ({REP_MONTHS})"},
    ),
    Suite(
        "marts.mart_stage_funnel",
        [between("deals_entered", 0, None), between("conversion_to_next", 0, 1)],
    ),
    Suite(
        "marts.mart_activity_effectiveness",
        [
            between("closed_deals", 1, None),
            between("win_rate", 0, 1),
            Check(
                "meetings_bucket_known",
                lambda ctx: gx.expectations.ExpectColumnValuesToBeInSet(
                    column="meetings_bucket", value_set=["0", "1", "2-3", "4+"]
                ),
            ),
        ],
    ),
    Suite(
        "marts.mart_lead_funnel",
        [between("contacts_reached", 0, None), between("conversion_to_next", 0, 1)],
    ),
    Suite(
        "marts.mart_pipeline_waterfall",
        [
            # no move is negative: one expectation on the smallest of the 26 columns of a row
            # (one per column cost a quarter of a second a night)
            between("smallest_move", 0, None),
            # every rep, every team and the company, for every month and quarter
            row_count_equals("groups_x_periods"),
        ],
        columns="least("
        + ", ".join(f"{move}_{unit}" for move in WATERFALL_MOVES for unit in ("deals", "amount"))
        + ") as smallest_move",
        context_queries={
            "groups_x_periods": (
                "select ((select count(*) from core.dim_reps)"
                " + (select count(distinct team_key) from core.dim_reps where team_id is not null)"
                " + 1) * (select count(*) from intermediate.int_reporting_periods)"
            )
        },
    ),
    Suite(
        "marts.mart_open_deal_risk",
        [between("signal_count", 0, 6), between("days_without_activity", 0, None)],
    ),
    Suite(
        "marts.mart_deal_risk_backtest",
        [between("lost_share", 0, 1), between("closed_deals", 1, None)],
    ),
    Suite(
        "marts.mart_rep_ramp",
        [between("tenure_month", 1, None), between("quota_attainment", 0, None)],
    ),
    Suite("marts.mart_ramp_cohorts", [between("reps", 1, None), between("tenure_month", 1, None)]),
    Suite(
        "marts.mart_attainment_distribution",
        [
            *(
                between(f"share_{b}", 0, 1)
                for b in ("under_50pct", "50_to_100pct", "100pct_or_more")
            ),
            between("attainment_p25", 0, None),
        ],
    ),
    Suite(
        "core.fct_deals",
        [
            not_null("deal_id"),
            not_null("created_at"),
            between("amount_home", 0, None),
            between("days_to_close", 0, None),
            # Nothing valid dropped: every deal the CRM connections list as usable (not
            # deleted, not quarantined) and not merged into another is a fact.
            row_count_equals("usable_deals_not_merged"),
        ],
        columns="deal_id, created_at, amount_home, days_to_close",
        context_queries={
            "usable_deals_not_merged": (
                "select count(*) from intermediate.int_crm__deals "
                "where deal_id not in (select merged_id from intermediate.int_merges_resolved "
                "where object_type = 'deal')"
            )
        },
    ),
    Suite(
        "intermediate.int_data_as_of",
        [
            Check(
                "newest_change_is_fresh",
                lambda ctx: gx.expectations.ExpectColumnValuesToBeBetween(
                    column="newest_change_at",
                    min_value=ctx["crm_clock"] - timedelta(hours=ctx["freshness_max_age_hours"]),
                    max_value=None,
                ),
                critical=False,
            )
        ],
        columns="newest_change_at",
        # Fresh: the newest change is at most freshness_max_age_hours (a setting, passed in
        # ctx) older than the CRM's own clock at the latest extraction.
        context_queries={
            "crm_clock": "select max(crm_clock_at) from intermediate.int_crm__extractions"
        },
    ),
]
