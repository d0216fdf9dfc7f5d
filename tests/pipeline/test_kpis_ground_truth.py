"""Every KPI of every mart equals the sandbox generator's ground truth, computed from its
event log (ingestion/sandbox/truth.py): counts exactly, money to the cent, rates to 1e-9."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.sandbox.truth import RISK_SIGNALS, WATERFALL_MOVES, Truth

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
    "mart_pipeline_waterfall",
    "mart_forecast_calls",
    "mart_rep_ramp",
    "mart_ramp_cohorts",
    "mart_attainment_distribution",
    "int_deal_risk_signals",
    "mart_deal_risk_backtest",
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


def test_new_marts_ground_truth_is_not_vacuous(truth: Truth):
    """The waterfall, forecast, risk, ramp and distribution truths have every case to compare."""
    waterfall = truth.pipeline_waterfall().values()
    for move in WATERFALL_MOVES:
        if move not in ("deleted",):  # deletions: tests/ingestion (archive and merge)
            assert sum(r[f"{move}_deals"] for r in waterfall) > 0, move
    calls = truth.forecast_calls().values()
    for bucket in ("commit", "best_case", "pipeline", "omitted"):
        assert sum(r[f"{bucket}_deals"] for r in calls) > 50, bucket
    starts = truth.rep_starts()
    assert len(set(starts.values())) >= 5  # reps hired during the history: several cohorts
    risk = truth.deal_risk()
    for signal in RISK_SIGNALS:
        assert sum(r[f"is_{signal}"] for r in risk.values()) > 3, signal
    assert {k[0] for k in risk} == {"open", "backtest"}
    assert {r["risk_level"] for r in risk.values()} == {"low", "medium", "high"}
    distribution = truth.attainment_distribution().values()
    assert sum(r["reps_under_50pct"] for r in distribution) > 20
    assert sum(r["reps_100pct_or_more"] for r in distribution) > 20


def test_forecast_calls_tell_the_reps_habits_apart(nightly_runs: NightlyRuns, truth: Truth):
    """The generator gives reps forecasting habits; the mart, read as a manager would (each
    rep's finished months, all weeks), finds them: optimists' commits come true least,
    sandbaggers commit the least of what they win."""
    con = duckdb.connect(nightly_runs.warehouse, read_only=True)
    try:
        rows = con.execute(
            "select owner_id, sum(commit_won_amount), sum(commit_amount), sum(called_won_amount) "
            "from marts.mart_forecast_calls where aggregation_level = 'rep' "
            "and period_type = 'month' and is_period_over group by owner_id"
        ).fetchall()
    finally:
        con.close()
    habit = {r.owner_id: r.forecast_habit for r in truth.org.reps}
    sums = {h: [0, 0, 0] for h in set(habit.values())}
    for owner, won, committed, called in rows:
        for i, value in enumerate((won, committed, called)):
            sums[habit[owner]][i] += value
    hit = {h: float(won / committed) for h, (won, committed, _) in sums.items()}
    capture = {h: float(won / called) for h, (won, _, called) in sums.items()}
    assert hit["optimist"] < 0.7 * min(hit["accurate"], hit["sandbagger"]), hit
    assert capture["sandbagger"] < 0.5 * min(capture["accurate"], capture["optimist"]), capture
