"""The dashboard's definition against the dbt project: a renamed or dropped mart column
fails here, in CI, not on a user's dashboard. No Superset needed."""

from __future__ import annotations

import pytest

from bi import manifest
from bi.superset import dashboard as d


@pytest.fixture(scope="module")
def mart_columns() -> dict[str, set[str]]:
    """Each mart's columns as the dbt project declares them."""
    return manifest.mart_columns()


def test_every_column_the_dashboard_names_exists_in_its_mart(mart_columns):
    missing = {}
    for dataset in d.DATASETS:
        named = d.dataset_columns_named(dataset)
        for metric in dataset.metrics:
            named |= d.metric_columns(metric)
        if named - mart_columns[dataset.table]:
            missing[dataset.table] = sorted(named - mart_columns[dataset.table])
    assert not missing, f"the dashboard names columns the marts do not have: {missing}"


def test_the_check_sees_a_renamed_column(mart_columns):
    """The check above can fail: a chart reading a column that is not there is caught."""
    renamed = {**mart_columns, "mart_team_performance_monthly": {"team_label"}}
    chart = next(c for c in d.CHARTS if c.name == "Quota attainment by team")
    assert {"team_name", "bookings", "quota"} <= (
        d.chart_columns(chart) - renamed["mart_team_performance_monthly"]
    )


def test_charts_use_saved_metrics_of_their_dataset():
    for chart in d.CHARTS:
        names = {m.name for m in chart.dataset.metrics}
        assert d.chart_metrics(chart) <= names, chart.name


def test_filters_reach_every_chart_whose_mart_has_their_column(mart_columns):
    scope = {f.name: {c.name for c in d.charts_in_scope(f, mart_columns)} for f in d.FILTERS}
    everything = {c.name for c in d.CHARTS}
    assert scope["Month"] == everything
    # The stage funnel is per pipeline, not per rep; team-level charts have no rep.
    assert everything - scope["Team"] == {"Stage funnel"}
    assert everything - scope["Rep"] == {
        "Stage funnel",
        "Quota attainment by team",
        "Bookings by team",
        "Win rate by team",
        "Pipeline coverage and forecast accuracy",
    }


def test_the_layout_places_every_chart_once_in_rows_of_12_columns():
    placed = [name for row in d.LAYOUT for name in row]
    assert sorted(placed) == sorted(c.name for c in d.CHARTS)
    widths = {c.name: c.width for c in d.CHARTS}
    assert all(sum(widths[n] for n in row) <= 12 for row in d.LAYOUT)
