"""Read what the report pages show from the marts into plain dataclasses.

The month shown is the latest complete month: the one before the newest `month_start` in
`marts.mart_rep_performance_monthly` (the newest month is still running). Every figure
comes from a mart as is; nothing here recomputes a KPI.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import duckdb

from orchestration.reports.formatting import add_months

TREND_MONTHS = 12
FORECAST_QUARTERS = 4
# mart_pipeline_waterfall's moves in order: (column prefix, label, kind).
WATERFALL_MOVES = [
    ("pipeline_start", "Open at start", "total"),
    ("created", "Created", "up"),
    ("pulled_in", "Pulled in", "up"),
    ("reopened", "Reopened", "up"),
    ("transferred_in", "Transferred in", "up"),
    ("increase", "Amount raised", "up"),
    ("decrease", "Amount cut", "down"),
    ("pushed_out", "Pushed out", "down"),
    ("won", "Won", "down"),
    ("lost", "Lost", "down"),
    ("deleted", "Deleted", "down"),
    ("transferred_out", "Transferred out", "down"),
    ("pipeline_end", "Open at end", "total"),
]


@dataclass(frozen=True)
class RepMonth:
    """One rep's row of `mart_rep_performance_monthly`."""

    rep_key: str
    crm_source: str
    owner_id: str
    rep_name: str
    team_id: str
    team_name: str
    month_start: date
    bookings: Decimal | None
    quota: float | None
    quota_attainment: float | None
    win_rate: float | None
    won_deals: int | None
    lost_deals: int | None
    # The rep page's name: the CRM's owner id, prefixed by the connection when the
    # warehouse reads several (owner ids are unique only within one).
    page_id: str = ""


@dataclass(frozen=True)
class TeamMonth:
    """One team's row of `mart_team_performance_monthly`."""

    team_key: str
    team_id: str
    team_name: str
    bookings: Decimal | None
    quota: float | None
    quota_attainment: float | None
    win_rate: float | None
    won_deals: int | None
    lost_deals: int | None


@dataclass(frozen=True)
class ScorecardKpi:
    """One rep's row of `mart_rep_scorecard` (trailing 3 months ending in the month)."""

    kpi: str
    label: str
    higher_is_better: bool
    value: float | None
    team_median: float | None
    company_median: float | None
    team_percentile: float | None
    change_vs_previous: float | None
    sample_size: int | None
    min_sample_size: int | None
    is_strength: bool
    is_weakness: bool


@dataclass(frozen=True)
class RiskDeal:
    """An open deal at high or medium risk, with its reasons (`mart_open_deal_risk`)."""

    deal_id: str
    deal_name: str | None
    stage_label: str | None
    amount_home: Decimal | None
    expected_close_at: datetime | None
    risk_level: str
    risk_reasons: str


@dataclass(frozen=True)
class WaterfallMove:
    """One move of a month's pipeline waterfall (`mart_pipeline_waterfall`)."""

    move: str  # the mart's column prefix
    label: str
    kind: str  # total | up | down
    deals: int
    amount: Decimal


@dataclass(frozen=True)
class ForecastQuarter:
    """A finished quarter's forecast calls at its start (`mart_forecast_calls`, week 1)."""

    period_start: date
    commit_amount: Decimal
    best_case_call_amount: Decimal
    bookings: Decimal
    commit_bias: float | None
    commit_hit_rate: float | None
    commit_capture_rate: float | None


@dataclass(frozen=True)
class RepReport:
    month: RepMonth
    trend: list[RepMonth | None]  # TREND_MONTHS entries, oldest first; None = no row
    scorecard: list[ScorecardKpi]
    strengths: str
    weaknesses: str
    risks: list[RiskDeal]  # high risk first, then medium; larger amounts first
    waterfall: list[WaterfallMove]
    forecast: list[ForecastQuarter]  # the last finished quarters, newest first
    team_rank: int
    team_size: int


@dataclass(frozen=True)
class TeamBoard:
    team: TeamMonth | None
    team_id: str
    team_name: str
    reps: list[RepMonth]  # ranked by quota attainment
    waterfall: list[WaterfallMove] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    month_start: date | None  # None: the data holds no complete month yet
    trend_months: list[date]
    as_of_at: datetime | None
    teams: list[TeamBoard] = field(default_factory=list)
    reps: list[RepReport] = field(default_factory=list)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def latest_complete_month(con: duckdb.DuckDBPyConnection) -> date | None:
    newest = con.execute(
        "select max(month_start) from marts.mart_rep_performance_monthly"
    ).fetchone()[0]
    return None if newest is None else add_months(newest, -1)


def attainment_rank_key(rep: RepMonth) -> tuple:
    """Leaderboard order: attainment high to low (no quota last), then bookings, then name."""
    return (
        rep.quota_attainment is None,
        -(rep.quota_attainment or 0.0),
        -(rep.bookings or 0),
        rep.rep_name,
        rep.owner_id,
    )


def _rep_month(row: dict, several_connections: bool) -> RepMonth:
    fields = {f: row[f] for f in RepMonth.__dataclass_fields__ if f != "page_id"}
    prefix = f"{row['crm_source']}-" if several_connections else ""
    return RepMonth(**fields, page_id=prefix + row["owner_id"])


def load_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    month = latest_complete_month(con)
    as_of_at = con.execute("select max(as_of_at) from intermediate.int_data_as_of").fetchone()[0]
    if month is None:
        return ReportData(month_start=None, trend_months=[], as_of_at=as_of_at)
    trend_months = [add_months(month, i - TREND_MONTHS + 1) for i in range(TREND_MONTHS)]

    rep_rows = _rows(
        con,
        """
        select rep_key, crm_source, owner_id, rep_name, team_id, team_name, month_start,
               bookings, quota, quota_attainment, win_rate, won_deals, lost_deals
        from marts.mart_rep_performance_monthly
        where month_start between ? and ?
        """,
        [trend_months[0], month],
    )
    several_connections = len({row["crm_source"] for row in rep_rows}) > 1
    by_rep: dict[str, dict[date, RepMonth]] = defaultdict(dict)  # rep_key -> month -> row
    for row in rep_rows:
        by_rep[row["rep_key"]][row["month_start"]] = _rep_month(row, several_connections)
    current = [months[month] for months in by_rep.values() if month in months]

    team_rows = _rows(
        con,
        """
        select team_key, team_id, team_name, bookings, quota, quota_attainment, win_rate,
               won_deals, lost_deals
        from marts.mart_team_performance_monthly
        where month_start = ?
        """,
        [month],
    )
    team_totals = {r["team_key"]: TeamMonth(**r) for r in team_rows}

    scorecard: dict[str, list[ScorecardKpi]] = defaultdict(list)
    for row in _rows(
        con,
        """
        select rep_key, kpi, kpi_label as label, higher_is_better, value, team_median,
               company_median, team_percentile, change_vs_previous, sample_size,
               min_sample_size, is_strength, is_weakness
        from marts.mart_rep_scorecard
        where month_start = ?
        order by rep_key, kpi_order
        """,
        [month],
    ):
        rep_key = row.pop("rep_key")
        scorecard[rep_key].append(ScorecardKpi(**row))

    words = {
        r["rep_key"]: (r["strengths"] or "", r["weaknesses"] or "")
        for r in _rows(
            con,
            "select rep_key, strengths, weaknesses from marts.mart_rep_scorecard_wide "
            "where month_start = ?",
            [month],
        )
    }

    risks: dict[str, list[RiskDeal]] = defaultdict(list)
    for row in _rows(
        con,
        """
        select rep_key, deal_id, deal_name, stage_label, amount_home, expected_close_at,
               risk_level, risk_reasons
        from marts.mart_open_deal_risk
        where risk_level in ('high', 'medium')
        order by rep_key, risk_level = 'high' desc, amount_home desc, deal_id
        """,
    ):
        risks[row.pop("rep_key")].append(RiskDeal(**row))

    waterfalls: dict[str | None, list[WaterfallMove]] = {}
    for row in _rows(
        con,
        "select * from marts.mart_pipeline_waterfall "
        "where period_type = 'month' and period_start = ? and aggregation_level in ('rep', 'team')",
        [month],
    ):
        key = row["rep_key"] if row["aggregation_level"] == "rep" else "team:" + row["team_key"]
        waterfalls[key] = [
            WaterfallMove(m, label, kind, row[f"{m}_deals"], row[f"{m}_amount"])
            for m, label, kind in WATERFALL_MOVES
        ]

    forecasts: dict[str, list[ForecastQuarter]] = defaultdict(list)
    for row in _rows(
        con,
        f"""
        select rep_key, {", ".join(ForecastQuarter.__dataclass_fields__)}
        from marts.mart_forecast_calls
        where aggregation_level = 'rep' and period_type = 'quarter' and week_number = 1
            and is_period_over and period_start <= ?
        order by rep_key, period_start desc
        """,
        [month],
    ):
        rep_key = row.pop("rep_key")
        if len(forecasts[rep_key]) < FORECAST_QUARTERS:
            forecasts[rep_key].append(ForecastQuarter(**row))

    team_keys = {
        r["rep_key"]: r["team_key"]
        for r in _rows(con, "select rep_key, team_key from core.dim_reps", [])
    }
    teams: dict[str | None, list[RepMonth]] = defaultdict(list)
    for rep in current:
        teams[team_keys.get(rep.rep_key)].append(rep)
    boards = []
    for team_key, reps in teams.items():
        ranked = sorted(reps, key=attainment_rank_key)
        name = ranked[0].team_name or "No team"
        boards.append(
            TeamBoard(
                team_totals.get(team_key),
                ranked[0].team_id or "",
                name,
                ranked,
                waterfalls.get(f"team:{team_key}", []),
            )
        )
    boards.sort(key=lambda b: (b.team_name, b.team_id))

    reports = []
    for board in boards:
        for rank, rep in enumerate(board.reps, start=1):
            strengths, weaknesses = words.get(rep.rep_key, ("", ""))
            reports.append(
                RepReport(
                    month=rep,
                    trend=[by_rep[rep.rep_key].get(m) for m in trend_months],
                    scorecard=scorecard.get(rep.rep_key, []),
                    strengths=strengths,
                    weaknesses=weaknesses,
                    risks=risks.get(rep.rep_key, []),
                    waterfall=waterfalls.get(rep.rep_key, []),
                    forecast=forecasts.get(rep.rep_key, []),
                    team_rank=rank,
                    team_size=len(board.reps),
                )
            )
    return ReportData(month, trend_months, as_of_at, boards, reports)
