"""The sandbox organisation is deterministic and realistic enough to test KPIs on."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from ingestion.sandbox.drift import share_reps
from ingestion.sandbox.generator import Organisation, iso
from ingestion.sandbox.truth import Truth


def test_same_seed_same_organisation(org: Organisation):
    again = Organisation("small", org.seed)
    for object_type, records in org.objects.items():
        assert list(records) == list(again.objects[object_type])
    deal_id = next(iter(org.objects["deals"]))
    assert org.objects["deals"][deal_id] == again.objects["deals"][deal_id]
    assert Truth(org).rep_month() == Truth(again).rep_month()


def test_other_seed_other_organisation(org: Organisation):
    assert Organisation("small", org.seed + 1).reps[0].first_name != org.reps[0].first_name or (
        len(Organisation("small", org.seed + 1).objects["deals"]) != len(org.objects["deals"])
    )


def test_small_preset_shape(org: Organisation):
    assert len(org.reps) == 24 and len(org.teams) == 4
    currencies = Counter(d.properties["deal_currency_code"] for d in org.objects["deals"].values())
    assert set(currencies) == {"AZN", "USD", "EUR"}
    stages = Counter(d.properties["dealstage"] for d in org.objects["deals"].values())
    assert stages["closedwon"] > 0 and stages["closedlost"] > 0 and stages["contractsent"] >= 0
    assert any(any(ord(c) > 127 for c in r.last_name) for r in org.reps)  # Azerbaijani names
    owner_changes = sum(
        len(d.history["hubspot_owner_id"]) > 1 for d in org.objects["deals"].values()
    )
    assert owner_changes > 0


def test_reps_differ_in_skill(truth: Truth):
    by_rep: dict[str, list[int]] = {}
    for (owner, _), row in truth.rep_month().items():
        won_lost = by_rep.setdefault(owner, [0, 0])
        won_lost[0] += row["won_deals"]
        won_lost[1] += row["lost_deals"]
    rates = [w / (w + lost) for w, lost in by_rep.values() if w + lost]
    assert max(rates) - min(rates) > 0.2


def test_lifecycle_feedback_slippage_and_reopens_are_generated(org: Organisation):
    contacts = org.objects["contacts"].values()
    stages = Counter(c.properties["lifecyclestage"] for c in contacts)
    assert set(stages) == {
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
    }
    skipped = [
        c for c in contacts
        if c.properties.get("hs_lifecyclestage_opportunity_date")
        and not c.properties.get("hs_lifecyclestage_salesqualifiedlead_date")
    ]  # fmt: skip
    assert skipped
    surveys = Counter(
        f.properties["hs_survey_type"] for f in org.objects["feedback_submissions"].values()
    )
    assert surveys["CSAT"] > 100 and surveys["NPS"] > 100
    deals = org.objects["deals"].values()
    assert sum(len(d.history["closedate"]) > 2 for d in deals) > 100  # pushed out
    assert any("closedlost" in [v for v, _ in d.history["dealstage"][:-1]] for d in deals)


def test_settings_shape_the_organisation():
    berlin = Organisation("small", 42, timezone="Europe/Berlin", home_currency="EUR")
    target = next(iter(berlin.objects["goal_targets"].values()))
    assert target.properties["hs_start_datetime"].endswith(("T22:00:00.000Z", "T23:00:00.000Z"))
    deal = next(
        d for d in berlin.objects["deals"].values() if d.properties["deal_currency_code"] == "EUR"
    )
    assert deal.properties["amount"] == deal.properties["amount_in_home_currency"]


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown sandbox preset"):
        Organisation("huge")


def test_shared_reps_are_the_same_people_in_two_seeds():
    """--shared-reps: two generated portals with their own seeds have reps in common (the
    same name and e-mail address), and nothing else changes."""
    az, ge = Organisation("small", 42), Organisation("small", 7)
    before = [(r.owner_id, r.email) for r in az.reps[2:]]
    assert share_reps(az, 2) == share_reps(ge, 2)
    assert [(r.first_name, r.email) for r in az.reps[:2]] == [
        (r.first_name, r.email) for r in ge.reps[:2]
    ]
    assert [(r.owner_id, r.email) for r in az.reps[2:]] == before
    assert az.reps[2].email != ge.reps[2].email


def test_every_metrics_rule_is_exercised(truth: Truth):
    """The organisation holds a case of each rule docs/METRICS.md states, and its ground truth
    applies the rule (the marts are then compared with it, tests/pipeline)."""
    closed = [d for d in truth.deals.values() if d.closed_at is not None]

    def changed_after_close(d, name):
        return [v for ts, v in d.changes[name] if ts > d.closed_at]

    def stages(d):
        return [v for _, v in d.changes["stage"]]

    owner_before = [
        d for d in closed
        if len({v for ts, v in d.changes["owner"] if ts <= d.closed_at}) > 1
    ]  # fmt: skip
    owner_after = [d for d in closed if changed_after_close(d, "owner")]
    closedate_after = [
        d for d in closed
        if any(v != iso(d.closed_at) for v in changed_after_close(d, "expected_close"))
    ]  # fmt: skip
    amount_after = [d for d in closed if changed_after_close(d, "amount_home")]
    reopened = {
        was: [
            d for d in closed
            if any(a == was and b not in ("closedwon", "closedlost")
                   for a, b in zip(stages(d), stages(d)[1:], strict=False))
        ]
        for was in ("closedwon", "closedlost")
    }  # fmt: skip
    for cases in (owner_before, owner_after, closedate_after, amount_after, *reopened.values()):
        assert len(cases) >= 5
    # Credit: the owner at the close, not the first nor the current one.
    for d in owner_after:
        assert d.owner_at_close != d.changes["owner"][-1][1]
    # Close date: the entry into the closed stage, whatever the property says later.
    for d in closedate_after:
        assert d.closed_at in {ts for ts, v in d.changes["stage"]}
    # Bookings: the amount the CRM holds now.
    for d in amount_after:
        assert d.amount_home == Decimal(d.changes["amount_home"][-1][1])
    # Reopened and closed again: the last close counts.
    for d in reopened["closedwon"]:
        assert d.closed_at > min(ts for ts, v in d.changes["stage"] if v == "closedwon")


def test_history_length_is_a_parameter():
    """The same organisation size over twice the months: about twice the deals, the same reps,
    and about as many changes on its last day (a next-day run has the same work)."""
    short, long = (
        Organisation("small", 42, history_months=6),
        Organisation("small", 42, history_months=12),
    )
    assert [r.owner_id for r in short.reps] == [r.owner_id for r in long.reps]
    assert (long.now - long.start).days > (short.now - short.start).days + 150
    ratio = len(long.objects["deals"]) / len(short.objects["deals"])
    assert 1.6 < ratio < 2.4

    def last_day_events(org: Organisation) -> int:
        return sum(1 for e in org.events if org.now - e.ts <= timedelta(days=1))

    assert 0.6 < last_day_events(long) / last_day_events(short) < 1.6
    with pytest.raises(ValueError, match="history months: 1 to 120"):
        Organisation("small", 42, history_months=0)
