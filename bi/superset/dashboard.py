"""The "Sales performance" dashboard, as Superset draws it from the serving file's marts.

One place for what the dashboard shows: its datasets (a mart each, with the KPIs as saved
metrics recomputed from sums, as docs/METRICS.md defines them), charts, layout and filters.
`bundle.py` turns it into Superset's import format; `tests/bi/` checks that every column it
names exists in the marts, and that Superset draws it.

SQL here writes functions and keywords in capitals and columns in lower case: that is how
`columns_used` tells them apart.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

TITLE = "Sales performance"
SLUG = "sales-performance"
DATABASE = "CRM warehouse"
SCHEMA = "marts"

_NAMESPACE = uuid.UUID("5d1b7c52-3f0e-4d38-9a43-6f3c1de0b816")


def stable_uuid(kind: str, name: str) -> str:
    """The same uuid on every build, so an import finds the objects it made before."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{name}"))


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    sql: str
    description: str
    d3format: str = ",.0f"


@dataclass(frozen=True)
class Dataset:
    table: str  # a mart in the serving file's `marts` schema
    time_column: str
    metrics: tuple[Metric, ...] = ()

    @property
    def uuid(self) -> str:
        return stable_uuid("dataset", self.table)


@dataclass(frozen=True)
class Chart:
    name: str
    dataset: Dataset
    viz_type: str
    params: dict = field(default_factory=dict)
    width: int = 6  # of the dashboard's 12 columns
    height: int = 50

    @property
    def uuid(self) -> str:
        return stable_uuid("chart", self.name)


@dataclass(frozen=True)
class Filter:
    name: str
    column: str | None  # None: the month filter (a time range on every chart's time column)
    dataset: Dataset | None = None

    @property
    def id(self) -> str:
        return "NATIVE_FILTER-" + re.sub(r"\W", "_", self.name.lower())


# --- KPIs: rates recomputed from sums, so a team or rep filter gives the right rate ------

BOOKINGS = Metric(
    "bookings", "Bookings", "SUM(bookings)", "Sum of won deals' home-currency amounts."
)
QUOTA_ATTAINMENT = Metric(
    "quota_attainment",
    "Quota attainment",
    "SUM(bookings) / NULLIF(SUM(quota), 0)",
    "Bookings / quota over the rows shown.",
    ".0%",
)
WIN_RATE = Metric(
    "win_rate",
    "Win rate",
    "CAST(SUM(won_deals) AS DOUBLE PRECISION) / NULLIF(SUM(won_deals) + SUM(lost_deals), 0)",
    "Won deals / (won + lost deals) over the rows shown.",
    ".0%",
)
PIPELINE_COVERAGE = Metric(
    "pipeline_coverage",
    "Pipeline coverage",
    "SUM(open_pipeline_start) / NULLIF(SUM(quota), 0)",
    "Open pipeline at the month's start expected to close in it / quota.",
    ".2f",
)
FORECAST_ACCURACY = Metric(
    "forecast_accuracy",
    "Forecast accuracy",
    "1 - ABS(SUM(weighted_pipeline_start) - SUM(bookings)) / NULLIF(SUM(bookings), 0)",
    "1 - |weighted pipeline at the month's start - bookings| / bookings.",
    ".0%",
)

REP_MONTHS = Dataset(
    "mart_rep_performance_monthly", "month_start", (BOOKINGS, QUOTA_ATTAINMENT, WIN_RATE)
)
TEAM_MONTHS = Dataset(
    "mart_team_performance_monthly",
    "month_start",
    (BOOKINGS, QUOTA_ATTAINMENT, WIN_RATE, PIPELINE_COVERAGE, FORECAST_ACCURACY),
)
SCORECARD = Dataset("mart_rep_scorecard_wide", "month_start")
STAGE_FUNNEL = Dataset(
    "mart_stage_funnel",
    "created_month",
    (
        Metric(
            "deals_entered",
            "Deals",
            "SUM(deals_entered)",
            "Deals that entered the stage or a later one.",
        ),
    ),
)
ACTIVITY = Dataset(
    "mart_activity_effectiveness",
    "fiscal_quarter_start",
    (
        Metric(
            "win_rate",
            "Win rate",
            "CAST(SUM(won_deals) AS DOUBLE PRECISION) / NULLIF(SUM(closed_deals), 0)",
            "Won deals / closed deals over the rows shown.",
            ".0%",
        ),
    ),
)
LEAD_FUNNEL = Dataset(
    "mart_lead_funnel",
    "created_month",
    (
        Metric(
            "contacts_reached",
            "Contacts",
            "SUM(contacts_reached)",
            "Contacts that reached the lifecycle stage or a later one.",
        ),
    ),
)

DATASETS = (REP_MONTHS, TEAM_MONTHS, SCORECARD, STAGE_FUNNEL, ACTIVITY, LEAD_FUNNEL)


# --- charts ------------------------------------------------------------------------------


def _time_filter(dataset: Dataset) -> list[dict]:
    """The chart's time column, which the dashboard's Month filter narrows."""
    return [
        {
            "clause": "WHERE",
            "comparator": "No filter",
            "expressionType": "SIMPLE",
            "operator": "TEMPORAL_RANGE",
            "subject": dataset.time_column,
        }
    ]


def big_number(name: str, dataset: Dataset, metric: Metric) -> Chart:
    params = {
        "metric": metric.name,
        "adhoc_filters": _time_filter(dataset),
        "header_font_size": 0.4,
        "subheader_font_size": 0.15,
        "y_axis_format": metric.d3format,
    }
    return Chart(name, dataset, "big_number_total", params, width=4, height=25)


def over_months(
    name: str,
    dataset: Dataset,
    metrics: list[Metric],
    groupby: list[str],
    viz_type: str = "echarts_timeseries_line",
    stack: bool = False,
) -> Chart:
    params = {
        "x_axis": dataset.time_column,
        "time_grain_sqla": "P1M",
        "metrics": [m.name for m in metrics],
        "groupby": groupby,
        "adhoc_filters": _time_filter(dataset),
        "row_limit": 10000,
        "show_legend": True,
        "legendType": "scroll",
        "legendOrientation": "top",
        "rich_tooltip": True,
        "x_axis_time_format": "%b %Y",
        "y_axis_format": metrics[0].d3format,
        "stack": "Stack" if stack else None,
    }
    return Chart(name, dataset, viz_type, params)


def by_category(name: str, dataset: Dataset, column: str, metric: Metric) -> Chart:
    params = {
        "x_axis": column,
        "metrics": [metric.name],
        "groupby": [],
        "adhoc_filters": _time_filter(dataset),
        "row_limit": 100,
        "x_axis_sort_asc": True,
        "x_axis_sort": column,
        "show_legend": False,
        "y_axis_format": metric.d3format,
        "show_value": True,
    }
    return Chart(name, dataset, "echarts_timeseries_bar", params)


def funnel(name: str, dataset: Dataset, column: str, metric: Metric) -> Chart:
    params = {
        "groupby": [column],
        "metric": metric.name,
        "adhoc_filters": _time_filter(dataset),
        "row_limit": 20,
        "sort_by_metric": True,
        "show_labels": True,
        "show_legend": False,
        "number_format": metric.d3format,
        "percent_calculation_type": "first_step",
        "tooltip_label_type": 5,
    }
    return Chart(name, dataset, "funnel", params)


def table(name: str, dataset: Dataset, columns: list[str], order_by: list[str]) -> Chart:
    params = {
        "query_mode": "raw",
        "all_columns": columns,
        "order_by_cols": [f'["{c}", false]' for c in order_by],
        "adhoc_filters": _time_filter(dataset),
        "row_limit": 5000,
        "server_pagination": False,
        "page_length": 25,
        "include_search": True,
        "table_timestamp_format": "%Y-%m",
        "column_config": {
            "quota_attainment": {"d3NumberFormat": ".0%"},
            "quota_attainment_team_median": {"d3NumberFormat": ".0%"},
            "win_rate": {"d3NumberFormat": ".0%"},
            "bookings": {"d3NumberFormat": ",.0f"},
        },
    }
    return Chart(name, dataset, "table", params, width=12, height=80)


CHARTS = (
    big_number("Bookings", REP_MONTHS, BOOKINGS),
    big_number("Quota attainment", REP_MONTHS, QUOTA_ATTAINMENT),
    big_number("Win rate", REP_MONTHS, WIN_RATE),
    over_months("Quota attainment by team", TEAM_MONTHS, [QUOTA_ATTAINMENT], ["team_name"]),
    over_months("Quota attainment by rep", REP_MONTHS, [QUOTA_ATTAINMENT], ["rep_name"]),
    over_months(
        "Bookings by team",
        TEAM_MONTHS,
        [BOOKINGS],
        ["team_name"],
        viz_type="echarts_timeseries_bar",
        stack=True,
    ),
    over_months("Win rate by team", TEAM_MONTHS, [WIN_RATE], ["team_name"]),
    over_months(
        "Pipeline coverage and forecast accuracy",
        TEAM_MONTHS,
        [PIPELINE_COVERAGE, FORECAST_ACCURACY],
        [],
    ),
    by_category("Win rate by meetings per deal", ACTIVITY, "meetings_bucket", ACTIVITY.metrics[0]),
    funnel("Stage funnel", STAGE_FUNNEL, "stage_label", STAGE_FUNNEL.metrics[0]),
    funnel("Lead funnel", LEAD_FUNNEL, "lifecycle_stage", LEAD_FUNNEL.metrics[0]),
    table(
        "Rep scorecard",
        SCORECARD,
        [
            "month_start",
            "team_name",
            "rep_name",
            "bookings",
            "quota_attainment",
            "quota_attainment_team_median",
            "win_rate",
            "strengths",
            "weaknesses",
        ],
        order_by=["month_start"],
    ),
)

# Rows of the dashboard, each at most 12 columns wide.
LAYOUT = (
    ("Bookings", "Quota attainment", "Win rate"),
    ("Quota attainment by team", "Quota attainment by rep"),
    ("Bookings by team", "Win rate by team"),
    ("Pipeline coverage and forecast accuracy", "Win rate by meetings per deal"),
    ("Stage funnel", "Lead funnel"),
    ("Rep scorecard",),
)

FILTERS = (
    Filter("Team", "team_name", TEAM_MONTHS),
    Filter("Rep", "rep_name", REP_MONTHS),
    Filter("Month", None),
)


# --- what the dashboard needs from the marts ---------------------------------------------

_SQL_WORD = re.compile(r"\b[a-z_][a-z0-9_]*\b")


def metric_columns(metric: Metric) -> set[str]:
    """The columns a metric's SQL reads (lower-case words; functions are in capitals)."""
    return set(_SQL_WORD.findall(metric.sql))


def chart_columns(chart: Chart) -> set[str]:
    """Every column of its dataset the chart names, directly or through a saved metric."""
    p = chart.params
    names = set(p.get("groupby", [])) | set(p.get("all_columns", []))
    names |= {p[k] for k in ("x_axis",) if p.get(k)}
    names |= {f["subject"] for f in p.get("adhoc_filters", [])}
    metrics = {m.name: m for m in chart.dataset.metrics}
    for name in chart_metrics(chart):
        names |= metric_columns(metrics[name])
    return names


def chart_metrics(chart: Chart) -> set[str]:
    p = chart.params
    return set(p.get("metrics", [])) | ({p["metric"]} if "metric" in p else set())


def charts_in_scope(flt: Filter, mart_columns: dict[str, set[str]]) -> list[Chart]:
    """The charts a filter narrows: those whose mart has its column (every chart for Month).

    mart_columns: each mart's columns (from the serving file or the dbt manifest)."""
    if flt.column is None:
        return list(CHARTS)
    return [c for c in CHARTS if flt.column in mart_columns[c.dataset.table]]


def dataset_columns_named(dataset: Dataset) -> set[str]:
    """The columns of the dataset's mart that the dashboard reads (charts, filters, time)."""
    names = {dataset.time_column}
    for chart in CHARTS:
        if chart.dataset == dataset:
            names |= chart_columns(chart)
    for flt in FILTERS:
        if flt.dataset == dataset:
            names.add(flt.column)
    return names
