"""Ground truth of the Salesforce sandbox: the generator's truth (ingestion/sandbox/truth.py)
as a Salesforce org records it, keyed by Salesforce ids.

Where Salesforce records a fact differently from HubSpot, the truth follows what the org
holds (docs/METRICS.md, "Salesforce"):
- reps are Users (owner ids 005...), teams their UserRoles (00E...), stages their labels;
- money is converted as Salesforce converts opportunities: the amount divided by its
  currency's dated conversion rate on the close date (six decimals, against the corporate
  currency), to the cent;
- a stage set to the stage a deal is already in is no change (OpportunityHistory gets a row
  only when a tracked value changes), so a deal stays in it from the first of the two;
- a lead's funnel ends at its conversion: a lead has no stage after it (HubSpot's
  "customer" lifecycle stage is not recorded on a Salesforce lead);
- a task not completed is dated by its ActivityDate (a day), from that day's start, and an
  expected close (CloseDate, a day) is that day's start.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.salesforce.objects import (
    STAGE_LABELS,
    conversion_rate,
    record_id,
    user_id,
)
from ingestion.sandbox.truth import Truth

CENT = Decimal("0.01")
NOT_ON_A_LEAD = ("customer",)


class SalesforceTruth(Truth):
    def __init__(self, org: Organisation, feedback_management: bool = True, **kwargs):
        """feedback_management=False: the org has no survey objects, so no CSAT nor NPS."""
        super().__init__(org, **kwargs)
        if not feedback_management:
            self.feedback = []
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
            deal.changes["amount_home"] = self._converted(
                deal, deals[deal.deal_id].fields["current"]["currency"]
            )
            # CloseDate is a date: the expected close is its first moment.
            deal.changes["expected_close"] = [
                (ts, self.day_start(self._local_day(v)).isoformat())
                for ts, v in deal.changes["expected_close"]
            ]
        for row in (*self.activities, *self.quotas, *self.contacts.values(), *self.feedback):
            row["owner_id"] = owner[row["owner_id"]]
        for a in self.activities:  # a Task not completed is dated by its ActivityDate
            if a["type"] == "tasks" and not a["completed"]:
                a["ts"] = self.day_start(self.local_date(a["ts"]))
        for contact in self.contacts.values():
            for stage in NOT_ON_A_LEAD:
                contact["reached"].pop(stage, None)

    def _local_day(self, value: str) -> date:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(self.org.tz).date()

    def _converted(self, deal, currency: str) -> list[tuple]:
        """The deal's home amount whenever its amount or close date changed: the amount
        divided by the dated rate of its currency on its close date then."""
        times = sorted(
            {ts for name in ("amount", "expected_close") for ts, _ in deal.changes[name]}
        )
        out = []
        for ts in times:
            amount, close = deal.value_at("amount", ts), deal.value_at("expected_close", ts)
            if amount is None or close is None:
                continue
            day = self._local_day(close)
            rate = conversion_rate(self.org, currency, day)
            out.append((ts, str((Decimal(amount) / rate).quantize(CENT, ROUND_HALF_UP))))
        return out

    def crm_deal_id(self, deal_id: str) -> str:
        return record_id("Opportunity", int(deal_id))

    def stage_funnel(self) -> dict[tuple[str, str, date], dict]:
        return {
            (pipeline, STAGE_LABELS[stage], month): row
            for (pipeline, stage, month), row in super().stage_funnel().items()
        }
