"""The sandbox organisation is deterministic and realistic enough to test KPIs on."""

from __future__ import annotations

from collections import Counter

import pytest

from ingestion.sandbox.generator import Organisation


def test_same_seed_same_organisation(org: Organisation):
    again = Organisation("small", org.seed)
    for object_type, records in org.objects.items():
        assert list(records) == list(again.objects[object_type])
    deal_id = next(iter(org.objects["deals"]))
    assert org.objects["deals"][deal_id] == again.objects["deals"][deal_id]
    assert org.ground_truth_rep_month() == again.ground_truth_rep_month()


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


def test_reps_differ_in_skill(org: Organisation):
    truth = org.ground_truth_rep_month()
    by_rep: dict[str, list[int]] = {}
    for (owner, _), row in truth.items():
        won_lost = by_rep.setdefault(owner, [0, 0])
        won_lost[0] += row["won_deals"]
        won_lost[1] += row["lost_deals"]
    rates = [w / (w + lost) for w, lost in by_rep.values() if w + lost]
    assert max(rates) - min(rates) > 0.2


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown sandbox preset"):
        Organisation("huge")
