"""Every KPI of every mart equals the sandbox generator's ground truth, computed from its
event log (ingestion/sandbox/truth.py): counts exactly, money to the cent, rates to 1e-9."""

from __future__ import annotations

import pytest

from ingestion.sandbox.truth import Truth

from ..conftest import NightlyRuns
from ..kpi_compare import compare_all

MARTS = [
    "mart_rep_performance_monthly",
    "mart_team_performance_monthly",
    "mart_company_performance_monthly",
    "mart_stage_funnel",
    "mart_activity_effectiveness",
    "mart_lead_funnel",
    "mart_rep_scorecard",
]


@pytest.fixture(scope="module")
def problems(nightly_runs: NightlyRuns, truth: Truth) -> dict[str, list[str]]:
    return compare_all(nightly_runs.warehouse, truth)


@pytest.mark.parametrize("mart", MARTS)
def test_mart_equals_ground_truth(problems, mart):
    assert problems[mart] == [], "\n".join(problems[mart][:20])


def test_ground_truth_is_not_vacuous(truth: Truth):
    """The comparison exercises every case the KPIs define."""
    reps = truth.rep_month().values()
    assert sum(r["won_deals"] for r in reps) > 500
    assert sum(r["slipped_deals"] for r in reps) > 50
    assert any(r["win_rate"] is None for r in reps)
    assert any(r["quota_attainment"] is None for r in reps) or any(r["quota"] for r in reps)
    assert sum(r["nps_responses"] for r in reps) > 100
    assert sum(r["csat_responses"] for r in reps) > 100
    assert sum(r["leads_converted"] for r in reps) > 100
    assert sum(r["sales_velocity_per_day"] is not None for r in reps) > 100
    scorecard = truth.scorecard().values()
    assert sum(r["is_strength"] for r in scorecard) > 100
    assert sum(r["is_weakness"] for r in scorecard) > 100
    reopened = [
        d for d in truth.deals.values()
        if "closedlost" in [v for _, v in d.changes["stage"][:-1]]
    ]  # fmt: skip
    assert reopened
    assert any(len({v for _, v in d.changes["owner"]}) > 1 for d in truth.deals.values())
