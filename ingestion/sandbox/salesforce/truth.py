"""Ground truth of the Salesforce sandbox: the generator's truth (ingestion/sandbox/truth.py)
as a Salesforce org records it, keyed by Salesforce ids.

Where Salesforce records a fact differently from HubSpot, the truth follows what the org
holds (docs/METRICS.md, "Salesforce"):
- reps are Users (owner ids 005...), teams their UserRoles (00E...), stages their labels;
- money is converted as Salesforce converts it: the amount divided by its currency's
  conversion rate (six decimals, against the corporate currency), to the cent;
- a stage set to the stage a deal is already in is no change (OpportunityHistory gets a row
  only when a tracked value changes), so a deal stays in it from the first of the two;
- a lead's funnel ends at its conversion: a lead has no stage after it (HubSpot's
  "customer" lifecycle stage is not recorded on a Salesforce lead).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ingestion.sandbox.generator import EXCHANGE_RATES, Organisation
from ingestion.sandbox.salesforce.objects import STAGE_LABELS, record_id, user_id
from ingestion.sandbox.truth import Truth

CENT = Decimal("0.01")
NOT_ON_A_LEAD = ("customer",)


def conversion_rate(currency: str, home_currency: str) -> Decimal:
    """Units of `currency` per one of the corporate currency, as the org stores it."""
    return (EXCHANGE_RATES[home_currency] / EXCHANGE_RATES[currency]).quantize(Decimal("1e-6"))


class SalesforceTruth(Truth):
    def __init__(self, org: Organisation, **kwargs):
        super().__init__(org, **kwargs)
        owner = {r.owner_id: user_id(org, r.owner_id) for r in org.reps}
        team = {r.team_id: record_id("UserRole", int(r.team_id)) for r in org.reps}
        self.reps = {owner[o]: r for o, r in self.reps.items()}
        self.team_of = {owner[o]: team[t] for o, t in self.team_of.items()}
        deals = org.entities["deals"]
        for deal in self.deals.values():
            stages = deal.changes["stage"]
            deal.changes["stage"] = [
                c for n, c in enumerate(stages) if n == 0 or c[1] != stages[n - 1][1]
            ]
            deal.changes["owner"] = [(ts, owner[v]) for ts, v in deal.changes["owner"]]
            rate = conversion_rate(deals[deal.deal_id].fields["current"]["currency"],
                                   org.home_currency)  # fmt: skip
            deal.changes["amount_home"] = [
                (ts, str((Decimal(v) / rate).quantize(CENT, ROUND_HALF_UP)))
                for ts, v in deal.changes["amount"]
            ]
        for row in (*self.activities, *self.quotas, *self.contacts.values(), *self.feedback):
            row["owner_id"] = owner[row["owner_id"]]
        for contact in self.contacts.values():
            for stage in NOT_ON_A_LEAD:
                contact["reached"].pop(stage, None)

    def stage_funnel(self) -> dict[tuple[str, str, date], dict]:
        return {
            (pipeline, STAGE_LABELS[stage], month): row
            for (pipeline, stage, month), row in super().stage_funnel().items()
        }
