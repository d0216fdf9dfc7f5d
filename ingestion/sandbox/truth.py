"""Ground truth for every mart, computed in plain Python from the generator's event log.

This is an independent implementation of docs/METRICS.md: tests compare the dbt marts with it,
so it must never read the warehouse. Money is Decimal, rates are floats, NULL is None. It
knows no CRM: the event log names what changed in its own words (a deal's stage, owner,
expected_close, amount_home), which the HubSpot records of the sandbox render as HubSpot
properties (hubspot_records.py); another CRM's sandbox renders the same
organisation, and this truth holds for it unchanged.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ingestion.sandbox.generator import STAGES, Organisation

PROBABILITY = {s[0]: Decimal(s[2]) for s in STAGES}
CLOSED = {s[0] for s in STAGES if s[3]}
WON, LOST = "closedwon", "closedlost"
LIFECYCLE = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
CONVERTED = {"opportunity", "customer"}
QUALIFIED_MIN_PROBABILITY = Decimal("0.4")
SCORECARD_KPIS = [
    # (kpi, higher is better, sample column, minimum sample)
    ("bookings", True, "closed_deals", 0),
    ("quota_attainment", True, "closed_deals", 0),
    ("win_rate", True, "closed_deals", 5),
    ("avg_deal_size", True, "closed_deals", 5),
    ("sales_cycle_days_median", False, "closed_deals", 5),
    ("pipeline_coverage", True, "expected_deals_start", 0),
    ("activities", True, "activities_total", 0),
    ("lead_conversion_rate", True, "leads_created", 5),
    ("csat_avg", True, "csat_responses", 5),
]


def ratio(num, den) -> float | None:
    return None if den in (None, 0) or num is None else float(num) / float(den)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def quantile_cont(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (SQL quantile_cont / percentile_cont)."""
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def percent_rank(value: float, values: list[float]) -> float:
    """SQL percent_rank(): (rank - 1) / (n - 1), 0 for a single value."""
    if len(values) <= 1:
        return 0.0
    return sum(1 for v in values if v < value) / (len(values) - 1)


def days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


@dataclass
class Deal:
    deal_id: str
    created_at: datetime
    changes: dict[str, list[tuple[datetime, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    meetings: int = 0

    def value_at(self, name: str, at: datetime) -> str | None:
        value = None
        for ts, v in self.changes[name]:
            if ts <= at:
                value = v
            else:
                break
        return value

    @property
    def stage(self) -> str:
        return self.changes["stage"][-1][1]

    @property
    def closed_at(self) -> datetime | None:
        """Entry into the current closed stage (first change of its final run)."""
        stages = self.changes["stage"]
        if self.stage not in CLOSED:
            return None
        at = stages[-1][0]
        for ts, v in reversed(stages):
            if v != self.stage:
                break
            at = ts
        return at

    @property
    def owner_at_close(self) -> str:
        closed = self.closed_at
        if closed is None:
            return self.changes["owner"][-1][1]
        return self.value_at("owner", closed) or self.changes["owner"][-1][1]

    @property
    def amount_home(self) -> Decimal:
        return Decimal(self.changes["amount_home"][-1][1])


class Truth:
    def __init__(
        self,
        org: Organisation,
        timezone: str | None = None,
        fiscal_year_start_month: int = 1,
        clock: datetime | None = None,
    ):
        """clock: the CRM clock the warehouse's data is as of (int_data_as_of), when it
        reads a later clock than this organisation's (another connection's)."""
        self.org = org
        self.clock = clock or org.now
        self.tz = ZoneInfo(timezone or org.timezone)
        self.fy_start = fiscal_year_start_month
        self.reps = {r.owner_id: r for r in org.reps}
        self.team_of = {r.owner_id: r.team_id for r in org.reps}
        self._replay()

    # ------------------------------------------------------------------ replay
    def _replay(self) -> None:
        self.deals: dict[str, Deal] = {}
        self.activities: list[dict] = []
        self.quotas: list[dict] = []
        self.contacts: dict[str, dict] = {}
        self.feedback: list[dict] = []
        company_owner = {
            cid: c.fields["owner"] for cid, c in self.org.entities["companies"].items()
        }
        for ev in self.org.events:
            d = ev.data
            if ev.kind == "deal_created":
                self.deals[d["deal_id"]] = Deal(d["deal_id"], ev.ts)
            elif ev.kind == "deal_property":
                self.deals[d["deal_id"]].changes[d["name"]].append((ev.ts, d["value"]))
            elif ev.kind == "activity":
                self.activities.append({**d, "ts": ev.ts})
            elif ev.kind == "quota_set":
                self.quotas.append(d)
            elif ev.kind == "lifecycle":
                contact = self.contacts.setdefault(
                    d["contact_id"], {"owner_id": d["owner_id"], "reached": {}}
                )
                contact["reached"].setdefault(d["stage"], ev.ts)
            elif ev.kind == "feedback":
                self.feedback.append({**d, "ts": ev.ts})
        # Counted after the replay: a deal merged into another (drift.merge_records) brings
        # its meetings along, which may predate the surviving deal's creation.
        for a in self.activities:
            if a["type"] == "meetings" and a["deal_id"]:
                self.deals[a["deal_id"]].meetings += 1
        for contact in self.contacts.values():
            contact["created_at"] = contact["reached"]["lead"]
        for fb in self.feedback:
            if fb["deal_id"]:
                fb["owner_id"] = self.deals[fb["deal_id"]].owner_at_close
            else:
                fb["owner_id"] = company_owner[fb["company_id"]]
        # Data "as of": the CRM's clock; running periods end at the start of the local day
        # after it (nothing later is known).
        self.as_of = self.day_start(self.local_date(self.clock) + timedelta(days=1))

        # Deals users deleted or merged away: the pipeline they were in until then.
        self.removed_at = dict(self.org.removed_deals)
        self.removed_deals: dict[str, Deal] = {}
        for ev in self.org.removed_deal_events:
            d = ev.data
            if ev.kind == "deal_created":
                self.removed_deals[d["deal_id"]] = Deal(d["deal_id"], ev.ts)
            else:
                self.removed_deals[d["deal_id"]].changes[d["name"]].append((ev.ts, d["value"]))

        months = {self.month(d.created_at) for d in self.deals.values()}
        months |= {self.month(d.closed_at) for d in self.deals.values() if d.closed_at}
        months |= {self.month(a["ts"]) for a in self.activities}
        self.months = month_range(min(months), max(months))

    # -------------------------------------------------------------- calendars
    def local_date(self, ts: datetime) -> date:
        return ts.astimezone(self.tz).date()

    def month(self, ts: datetime) -> date:
        return self.local_date(ts).replace(day=1)

    def day_start(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)

    def fiscal_quarter_start(self, month: date) -> date:
        offset = (month.month - self.fy_start) % 12
        first = month.month - offset % 3
        year = month.year
        if first < 1:
            first += 12
            year -= 1
        return date(year, first, 1)

    # ------------------------------------------------------------ rep x month
    def _quota_by_owner_month(self) -> dict[tuple[str, date], Decimal]:
        out: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        for q in self.quotas:
            first, last = self.local_date(q["start"]), self.local_date(q["end"])
            total = (last - first).days + 1
            per_month: dict[date, int] = defaultdict(int)
            day = first
            while day <= last:
                per_month[day.replace(day=1)] += 1
                day += timedelta(days=1)
            for m, n in per_month.items():
                out[(q["owner_id"], m)] += q["amount"] * n / total
        return out

    def base_facts(self) -> dict[tuple[str, date], dict]:
        """Per rep x month: the sums and lists every KPI is computed from."""
        facts: dict[tuple[str, date], dict] = {}
        for owner in self.reps:
            for m in self.months:
                facts[(owner, m)] = {
                    "won_deals": 0,
                    "lost_deals": 0,
                    "bookings": Decimal(0),
                    "lost_amount": Decimal(0),
                    "cycle_days": [],
                    "quota": None,
                    "open_pipeline_start": Decimal(0),
                    "weighted_pipeline_start": Decimal(0),
                    "expected_deals_start": 0,
                    "slipped_deals": 0,
                    "open_qualified_deals_start": 0,
                    "calls": 0,
                    "connected_calls": 0,
                    "emails": 0,
                    "meetings": 0,
                    "tasks_completed": 0,
                    "leads_created": 0,
                    "leads_converted": 0,
                    "convert_days": [],
                    "csat_values": [],
                    "nps_values": [],
                }
        for deal in self.deals.values():
            closed = deal.closed_at
            if closed is not None:
                row = facts.get((deal.owner_at_close, self.month(closed)))
                if row is not None:
                    if deal.stage == WON:
                        row["won_deals"] += 1
                        row["bookings"] += deal.amount_home
                        row["cycle_days"].append(days(closed - deal.created_at))
                    elif deal.stage == LOST:
                        row["lost_deals"] += 1
                        row["lost_amount"] += deal.amount_home
        for (owner, m), amount in self._quota_by_owner_month().items():
            if (owner, m) in facts:
                facts[(owner, m)]["quota"] = amount
        for m in self.months:
            start = self.day_start(m)
            next_month = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
            end = min(self.day_start(next_month), self.as_of)
            for deal in self.deals.values():
                if deal.created_at > start:
                    continue
                stage = deal.value_at("stage", start)
                if stage is None or stage in CLOSED:
                    continue
                owner = deal.value_at("owner", start)
                row = facts.get((owner, m))
                if row is None:
                    continue
                amount = Decimal(deal.value_at("amount_home", start) or 0)
                if PROBABILITY[stage] >= QUALIFIED_MIN_PROBABILITY:
                    row["open_qualified_deals_start"] += 1
                expected = deal.value_at("expected_close", start)
                expected_at = datetime.fromisoformat(expected.replace("Z", "+00:00"))
                if not (start <= expected_at < self.day_start(next_month)):
                    continue
                row["expected_deals_start"] += 1
                row["open_pipeline_start"] += amount
                row["weighted_pipeline_start"] += amount * PROBABILITY[stage]
                if deal.value_at("stage", end) not in CLOSED:
                    row["slipped_deals"] += 1
        for a in self.activities:
            row = facts.get((a["owner_id"], self.month(a["ts"])))
            if row is None:
                continue
            if a["type"] == "tasks":
                row["tasks_completed"] += int(a["completed"])
            else:
                row[a["type"]] += 1
                row["connected_calls"] += int(a["connected"])
        for contact in self.contacts.values():
            row = facts.get((contact["owner_id"], self.month(contact["created_at"])))
            if row is None:
                continue
            row["leads_created"] += 1
            converted = [ts for s, ts in contact["reached"].items() if s in CONVERTED]
            if converted:
                row["leads_converted"] += 1
                row["convert_days"].append(days(min(converted) - contact["created_at"]))
        for fb in self.feedback:
            row = facts.get((fb["owner_id"], self.month(fb["ts"])))
            if row is not None:
                row["csat_values" if fb["survey"] == "CSAT" else "nps_values"].append(fb["value"])
        return facts

    def kpis(self, f: dict, trailing: dict | None = None) -> dict:
        """Every KPI of one row from its facts (same formulas at rep, team, company grain)."""
        won, lost = f["won_deals"], f["lost_deals"]
        activities = f["calls"] + f["emails"] + f["meetings"] + f["tasks_completed"]
        nps = f["nps_values"]
        row = {
            "won_deals": won,
            "lost_deals": lost,
            "bookings": f["bookings"],
            "lost_amount": f["lost_amount"],
            "win_rate": ratio(won, won + lost),
            "win_rate_by_value": ratio(f["bookings"], f["bookings"] + f["lost_amount"]),
            "avg_deal_size": ratio(f["bookings"], won),
            "sales_cycle_days_median": median(f["cycle_days"]),
            "sales_cycle_days_mean": mean(f["cycle_days"]),
            "quota": f["quota"],
            "quota_attainment": ratio(f["bookings"], f["quota"]),
            "open_pipeline_start": f["open_pipeline_start"],
            "weighted_pipeline_start": f["weighted_pipeline_start"],
            "expected_deals_start": f["expected_deals_start"],
            "pipeline_coverage": ratio(f["open_pipeline_start"], f["quota"]),
            "forecast_accuracy": (
                None
                if not f["bookings"]
                else 1
                - abs(float(f["weighted_pipeline_start"] - f["bookings"])) / float(f["bookings"])
            ),
            "forecast_bias": ratio(f["weighted_pipeline_start"] - f["bookings"], f["bookings"]),
            "slipped_deals": f["slipped_deals"],
            "slippage_rate": ratio(f["slipped_deals"], f["expected_deals_start"]),
            "open_qualified_deals_start": f["open_qualified_deals_start"],
            "calls": f["calls"],
            "connected_calls": f["connected_calls"],
            "emails": f["emails"],
            "meetings": f["meetings"],
            "tasks_completed": f["tasks_completed"],
            "activities_total": activities,
            "activities_per_won_deal": ratio(activities, won),
            "leads_created": f["leads_created"],
            "leads_converted": f["leads_converted"],
            "lead_conversion_rate": ratio(f["leads_converted"], f["leads_created"]),
            "days_to_convert_median": median(f["convert_days"]),
            "csat_responses": len(f["csat_values"]),
            "csat_avg": ratio(sum(f["csat_values"]), len(f["csat_values"])),
            "nps_responses": len(nps),
            "nps": (
                None
                if not nps
                else 100.0 * (sum(v >= 9 for v in nps) - sum(v <= 6 for v in nps)) / len(nps)
            ),
            "sales_velocity_per_day": None,
        }
        if trailing is not None:
            t_won, t_lost = trailing["won_deals"], trailing["lost_deals"]
            rate = ratio(t_won, t_won + t_lost)
            size = ratio(trailing["bookings"], t_won)
            cycle = mean(trailing["cycle_days"])
            if rate is not None and size is not None and cycle:
                row["sales_velocity_per_day"] = (
                    f["open_qualified_deals_start"] * rate * size / cycle
                )
        return row

    @staticmethod
    def combine(rows: list[dict]) -> dict:
        out: dict = {}
        for key in rows[0]:
            values = [r[key] for r in rows]
            if isinstance(values[0], list):
                out[key] = [v for vs in values for v in vs]
            elif key == "quota":
                present = [v for v in values if v is not None]
                out[key] = sum(present, Decimal(0)) if present else None
            else:
                out[key] = sum(values)
        return out

    def monthly_kpis(self, facts_by_month: dict[date, list[dict]]) -> dict[date, dict]:
        """Every KPI per month of one group from its rows of base facts, summed per month,
        with the trailing 12 months (sales velocity) summed the same way."""
        combined = {m: self.combine(rows) for m, rows in facts_by_month.items()}
        return {
            m: self.kpis(
                f, self.combine([combined[w] for w in months_back(m, 12) if w in combined])
            )
            for m, f in combined.items()
        }

    def _rollup(self, group_of) -> dict[tuple[str, date], dict]:
        grouped: dict[str, dict[date, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for (owner, m), f in self.base_facts().items():
            grouped[group_of(owner)][m].append(f)
        return {
            (group, m): row
            for group, months in grouped.items()
            for m, row in self.monthly_kpis(months).items()
        }

    def rep_month(self) -> dict[tuple[str, date], dict]:
        return self._rollup(lambda owner: owner)

    def team_month(self) -> dict[tuple[str, date], dict]:
        return self._rollup(lambda owner: self.team_of[owner])

    def company_month(self) -> dict[tuple[str, date], dict]:
        return self._rollup(lambda owner: "company")

    # ------------------------------------------------------------ other marts
    def stage_funnel(self) -> dict[tuple[str, str, date], dict]:
        """pipeline x stage x deal-create month: entered, conversion, median days in stage."""
        order = {s[0]: i for i, s in enumerate(STAGES)}
        path = [s[0] for s in STAGES if s[0] != LOST]
        out: dict[tuple[str, str, date], dict] = {}
        entered: dict[tuple[str, date], int] = defaultdict(int)
        durations: dict[tuple[str, date], list[float]] = defaultdict(list)
        cohorts = set()
        for deal in self.deals.values():
            cohort = self.month(deal.created_at)
            cohorts.add(cohort)
            stages = deal.changes["stage"]
            seen = {v for _, v in stages}
            furthest = max(order[v] for v in seen if v != LOST)
            for s in path:
                if order[s] <= furthest:
                    entered[(s, cohort)] += 1
            if LOST in seen:
                entered[(LOST, cohort)] += 1
            for (ts, v), (nxt, _) in zip(stages, stages[1:], strict=False):
                durations[(v, cohort)].append(days(nxt - ts))
        for cohort in cohorts:
            for s, *_ in STAGES:
                n = entered[(s, cohort)]
                nxt = path[path.index(s) + 1] if s in path[:-1] else None
                out[("default", s, cohort)] = {
                    "deals_entered": n,
                    "conversion_to_next": ratio(entered[(nxt, cohort)], n) if nxt else None,
                    "median_days_in_stage": median(durations[(s, cohort)]),
                }
        return out

    def pipeline_waterfall(self) -> dict[tuple[str, str, str, date], dict]:
        """(level, group, period type, period start) -> the waterfall's deals and amounts:
        where each month's and fiscal quarter's pipeline (deals open and expected to close in
        it) came from and went, per rep, team and company, worked out change by change."""
        bounds = [
            (kind, first, self.day_start(first), self.day_start(after))
            for kind, first, after in self._periods()
        ]
        groups = self._grains()
        out: dict[tuple, dict] = {}
        for level, group_of in groups.items():
            for g in {group_of(o) for o in self.reps} - {None}:
                for kind, start, *_ in bounds:
                    out[(level, g, kind, start)] = {
                        f"{m}_{unit}": Decimal(0) if unit == "amount" else 0
                        for m in WATERFALL_MOVES
                        for unit in ("deals", "amount")
                    }

        def add(level: str, group: str | None, kind: str, start: date, move: str, amount) -> None:
            row = out.get((level, group, kind, start))
            if row is not None:
                row[f"{move}_deals"] += 1
                row[f"{move}_amount"] += amount

        for _, timeline in self._timelines():
            for kind, start, first_at, after_at in bounds:
                end_at = min(after_at, self.as_of)

                def inside(state, first_at=first_at, after_at=after_at):
                    return (
                        state is not None
                        and state["open"]
                        and state["expected"] is not None
                        and first_at <= state["expected"] < after_at
                    )

                for label, at in (("pipeline_start", first_at), ("pipeline_end", end_at)):
                    state = state_at(timeline, at)
                    if inside(state):
                        for level, group_of in groups.items():
                            add(
                                level, group_of(state["owner"]), kind, start, label, state["amount"]
                            )
                before = None
                for n, (ts, state) in enumerate(timeline):
                    if first_at < ts <= end_at:
                        was, now = inside(before), inside(state)
                        for level, group_of in groups.items():
                            g0 = group_of(before["owner"]) if before else None
                            g1 = group_of(state["owner"]) if state else None
                            for group, move, amount in _change_moves(
                                before, state, n == 0, was, now, g0, g1
                            ):
                                add(level, group, kind, start, move, amount)
                    before = state
        return out

    def _grains(self) -> dict:
        """Who an owner counts for at rep, team and company level (None: no rep)."""
        return {
            "rep": lambda o: o if o in self.reps else None,
            "team": lambda o: self.team_of.get(o),
            "company": lambda o: "company" if o in self.reps else None,
        }

    def _timelines(self) -> list[tuple[Deal, list]]:
        """Every deal the CRM has or had (deleted or merged away since: until then) with
        its state after each change."""
        every = [(d, self.removed_at.get(i)) for i, d in self.deals.items()]
        every += [(d, self.removed_at[i]) for i, d in self.removed_deals.items()]
        return [(d, self._states(d, removed)) for d, removed in every]

    # --------------------------------------------------------- forecast calls
    def _periods(self) -> list[tuple[str, date, date]]:
        """(type, first day, first day of the next) of every month and fiscal quarter."""
        periods = [("month", m, next_month(m)) for m in self.months]
        for q in sorted({self.fiscal_quarter_start(m) for m in self.months}):
            periods.append(("quarter", q, next_month(next_month(next_month(q)))))
        return periods

    def forecast_calls(self) -> dict[tuple[str, str, str, date, int], dict]:
        """(level, group, period type, period start, week number) -> the period's pipeline by
        the forecast category called at 00:00 on the week's first day (every 7th day from
        the period's start, up to the data's as-of day), and what the period booked."""
        as_of_date = self.local_date(self.clock) + timedelta(days=1)
        groups = self._grains()
        timelines = self._timelines()
        out: dict[tuple, dict] = {}
        for kind, first, after in self._periods():
            start_at, after_at = self.day_start(first), self.day_start(after)
            end = min(after, as_of_date)
            booked: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0)])
            won_here = set()
            for deal in self.deals.values():
                closed = deal.closed_at
                if deal.stage == WON and closed is not None and start_at <= closed < after_at:
                    won_here.add(deal.deal_id)
                    for level, group_of in groups.items():
                        row = booked[(level, group_of(deal.owner_at_close))]
                        row[0] += 1
                        row[1] += deal.amount_home
            week, day = 1, first
            while day < after and day <= end:
                at = self.day_start(day)
                rows = {}
                for level, group_of in groups.items():
                    for g in {group_of(o) for o in self.reps} - {None}:
                        won, bookings = booked.get((level, g), (0, Decimal(0)))
                        rows[(level, g)] = out[(level, g, kind, first, week)] = {
                            "week_start": day,
                            "is_period_over": end == after,
                            **{
                                f"{c}_{u}": Decimal(0) if u == "amount" else 0
                                for c in FORECAST_BUCKETS
                                for u in ("deals", "amount")
                            },
                            "commit_won_amount": Decimal(0),
                            "called_won_amount": Decimal(0),
                            "won_deals": won,
                            "bookings": bookings,
                        }
                for deal, timeline in timelines:
                    state = state_at(timeline, at)
                    if not (
                        state is not None
                        and state["open"]
                        and state["expected"] is not None
                        and start_at <= state["expected"] < after_at
                    ):
                        continue
                    bucket = FORECAST_BUCKET.get(state["category"], "pipeline")
                    won = deal.deal_id in won_here
                    for level, group_of in groups.items():
                        row = rows.get((level, group_of(state["owner"])))
                        if row is None:
                            continue
                        row[f"{bucket}_deals"] += 1
                        row[f"{bucket}_amount"] += state["amount"]
                        if won:
                            row["called_won_amount"] += state["amount"]
                            if bucket == "commit":
                                row["commit_won_amount"] += state["amount"]
                week, day = week + 1, day + timedelta(days=7)
        for row in out.values():
            commit, bookings = row["commit_amount"], row["bookings"]
            row["best_case_call_amount"] = commit + row["best_case_amount"]
            row["commit_accuracy"] = (
                None if not bookings else 1 - abs(float(commit - bookings)) / float(bookings)
            )
            row["commit_bias"] = ratio(commit - bookings, bookings)
            row["commit_hit_rate"] = ratio(row["commit_won_amount"], commit)
            row["commit_capture_rate"] = ratio(row["commit_won_amount"], row["called_won_amount"])
        return out

    # ---------------------------------------------------------------- deal risk
    def _activity_times(self) -> dict[str, list[datetime]]:
        """deal id -> when each activity on it happened."""
        times: dict[str, list[datetime]] = defaultdict(list)
        for a in self.activities:
            if a["deal_id"]:
                times[a["deal_id"]].append(a["ts"])
        return times

    def _risk_baselines(self, by_deal: dict[str, list[datetime]]) -> dict[date, dict]:
        """Per month: the usual quiet stretch of each rep's and the company's won deals, and
        each stage's usual stay, from the deals won in the 12 months before it."""
        won = [d for d in self.deals.values() if d.stage == WON and d.closed_at is not None]
        quiet, stays = {}, {}
        for d in won:
            closed = d.closed_at
            moments = sorted(
                [d.created_at, closed]
                + [ts for ts in by_deal[d.deal_id] if d.created_at < ts < closed]
            )
            quiet[d.deal_id] = max(days(b - a) for a, b in zip(moments, moments[1:], strict=False))
            changes = d.changes["stage"]
            stays[d.deal_id] = [
                (stage, days(nxt - ts))
                for (ts, stage), (nxt, _) in zip(changes, changes[1:], strict=False)
                if stage not in CLOSED
            ]
        out = {}
        for m in self.months:
            first = self.day_start(months_back(m, RISK["baseline_months"] + 1)[0])
            window = [d for d in won if first <= d.closed_at < self.day_start(m)]
            per_rep: dict[str, list[float]] = defaultdict(list)
            per_stage: dict[str, list[float]] = defaultdict(list)
            for d in window:
                per_rep[d.owner_at_close].append(quiet[d.deal_id])
                for stage, length in stays[d.deal_id]:
                    per_stage[stage].append(length)
            out[m] = {
                "company": median([quiet[d.deal_id] for d in window]),
                "rep": {o: median(v) for o, v in per_rep.items() if len(v) >= RISK["min_won"]},
                "stage": {
                    st: quantile_cont(v, RISK["stage_percentile"]) for st, v in per_stage.items()
                },
            }
        return out

    def crm_deal_id(self, deal_id: str) -> str:
        """A deal's id as the CRM names it (the generator's for HubSpot)."""
        return deal_id

    def deal_risk(self) -> dict[tuple[str, str], dict]:
        """(evaluation, the CRM's deal id) -> risk signals, as _risk_by_deal."""
        return {
            (evaluation, self.crm_deal_id(deal_id)): row
            for (evaluation, deal_id), row in self._risk_by_deal().items()
        }

    def _risk_by_deal(self) -> dict[tuple[str, str], dict]:
        """(evaluation, deal id) -> the risk signals of each open deal at the CRM's clock
        ('open') and of each closed deal 30 days before its close, if open then
        ('backtest')."""
        activity = self._activity_times()
        baselines = self._risk_baselines(activity)
        evaluations = []
        for deal in self.deals.values():
            if deal.deal_id in self.removed_at:
                continue
            if deal.stage not in CLOSED:
                evaluations.append(("open", deal, self.clock))
            elif deal.stage in (WON, LOST):
                evaluations.append(
                    ("backtest", deal, deal.closed_at - timedelta(days=RISK["backtest_days"]))
                )
        out = {}
        for evaluation, deal, at in evaluations:
            timeline = [c for c in self._states(deal, None) if c[0] <= at]
            if not timeline or not timeline[-1][1]["open"]:
                continue
            state = timeline[-1][1]
            base = baselines[self.month(at)]
            last = max([ts for ts in activity[deal.deal_id] if ts <= at], default=deal.created_at)
            entered = [ts for ts, _ in deal.changes["stage"] if ts <= at][-1]
            quiet_days, stage_days = days(at - last), days(at - entered)
            usual_quiet = base["rep"].get(state["owner"], base["company"])
            usual_stage = base["stage"].get(state["stage"])
            pushes = owner_changed = 0
            for (_, before), (ts, after) in zip(timeline, timeline[1:], strict=False):
                if (
                    before["expected"]
                    and after["expected"]
                    and after["expected"] > before["expected"]
                ):
                    pushes += 1
                if after["owner"] != before["owner"] and ts > at - timedelta(
                    days=RISK["owner_change_days"]
                ):
                    owner_changed = 1
            highest = max(s["amount"] for _, s in timeline)
            signals = {
                "is_quiet": usual_quiet is not None and quiet_days > usual_quiet,
                "is_stuck": usual_stage is not None and stage_days > usual_stage,
                "is_pushed": pushes >= RISK["close_pushes"],
                "is_amount_cut": highest > 0
                and state["amount"] <= (1 - RISK["amount_cut_share"]) * highest,
                "is_owner_changed": bool(owner_changed),
                "is_overdue": state["expected"] is not None and state["expected"] < at,
            }
            n = sum(signals.values())
            out[(evaluation, deal.deal_id)] = {
                **signals,
                "signal_count": n,
                "risk_level": "high" if n >= 2 else "medium" if n >= 1 else "low",
                "days_without_activity": quiet_days,
                "usual_quiet_days": usual_quiet,
                "days_in_stage": stage_days,
                "usual_stage_days": usual_stage,
                "close_pushes": pushes,
                "highest_amount_home": highest,
                "owner_id": state["owner"],
            }
        return out

    def risk_backtest(self) -> dict[tuple[date, str], dict]:
        """(close month, risk level 30 days before the close) -> closed deals, lost share, and
        per signal how many had it and were lost."""
        risk = self._risk_by_deal()
        out: dict[tuple[date, str], dict] = {}
        for deal in self.deals.values():
            if deal.deal_id in self.removed_at or deal.stage not in (WON, LOST):
                continue
            r = risk.get(("backtest", deal.deal_id))
            key = (self.month(deal.closed_at), r["risk_level"] if r else "not_open")
            row = out.setdefault(
                key,
                {"closed_deals": 0, "won_deals": 0, "lost_deals": 0}
                | {f"{s}_{k}": 0 for s in RISK_SIGNALS for k in ("deals", "lost_deals")},
            )
            lost = deal.stage == LOST
            row["closed_deals"] += 1
            row["lost_deals" if lost else "won_deals"] += 1
            for s in RISK_SIGNALS:
                if r and r[f"is_{s}"]:
                    row[f"{s}_deals"] += 1
                    row[f"{s}_lost_deals"] += int(lost)
        for row in out.values():
            row["lost_share"] = ratio(row["lost_deals"], row["closed_deals"])
        return out

    # ------------------------------------------------------------------- ramp
    def rep_starts(self) -> dict[str, date]:
        """Each rep's first month: their first owned deal (from any handover), activity or
        quota month, whichever is first."""
        firsts: dict[str, list[date]] = defaultdict(list)
        for deal in self.deals.values():
            for ts, owner in deal.changes["owner"]:
                firsts[owner].append(self.month(ts))
        for a in self.activities:
            firsts[a["owner_id"]].append(self.month(a["ts"]))
        for (owner, m), amount in self._quota_by_owner_month().items():
            if amount > 0:
                firsts[owner].append(m)
        return {o: min(firsts[o]) for o in self.reps if firsts[o]}

    def rep_ramp(self) -> dict[tuple[str, date], dict]:
        """rep x month from their start: tenure month (1 = the start month), bookings, quota."""
        starts, months = self.rep_starts(), self.rep_month()
        out = {}
        for (owner, m), k in months.items():
            start = starts.get(owner)
            if start is None or m < start:
                continue
            out[(owner, m)] = {
                "start_month": start,
                "started_before_history": start <= self.months[0],
                "tenure_month": (m.year - start.year) * 12 + m.month - start.month + 1,
                **{c: k[c] for c in ("won_deals", "bookings", "quota", "quota_attainment")},
            }
        return out

    def ramp_cohorts(self) -> dict[tuple[date, int], dict]:
        """start month x tenure month: the cohort's reps, bookings against quota, median rep."""
        groups: dict[tuple[date, int], list[dict]] = defaultdict(list)
        for row in self.rep_ramp().values():
            groups[(row["start_month"], row["tenure_month"])].append(row)
        out = {}
        for key, rows in groups.items():
            quotas = [r["quota"] for r in rows if r["quota"] is not None]
            bookings = sum((r["bookings"] for r in rows), Decimal(0))
            quota = sum(quotas, Decimal(0)) if quotas else None
            attained = [r["quota_attainment"] for r in rows if r["quota_attainment"] is not None]
            out[key] = {
                "started_before_history": rows[0]["started_before_history"],
                "reps": len(rows),
                "reps_with_quota": sum(1 for q in quotas if q > 0),
                "won_deals": sum(r["won_deals"] for r in rows),
                "bookings": bookings,
                "quota": quota,
                "quota_attainment": ratio(bookings, quota),
                "quota_attainment_median": quantile_cont(attained, 0.5),
            }
        return out

    def attainment_distribution(self) -> dict[tuple[str, str, str, date], dict]:
        """(team | company) x (month | fiscal quarter): how attainment spreads over the reps
        with a quota (each rep's bookings / quota over the period)."""
        periods: dict[tuple[str, str, date], list[dict]] = defaultdict(list)
        for (owner, m), f in self.base_facts().items():
            for kind, start in (("month", m), ("quarter", self.fiscal_quarter_start(m))):
                periods[(owner, kind, start)].append(f)
        groups: dict[tuple[str, str, str, date], list[float]] = defaultdict(list)
        for (owner, kind, start), rows in periods.items():
            quotas = [f["quota"] for f in rows if f["quota"] is not None]
            bookings = sum((f["bookings"] for f in rows), Decimal(0))
            value = ratio(bookings, sum(quotas, Decimal(0)) if quotas else None)
            keys = [("company", "company")]
            if self.team_of.get(owner) is not None:
                keys.append(("team", self.team_of[owner]))
            for level, group in keys:
                values = groups[(level, group, kind, start)]
                if value is not None:
                    values.append(value)
        out = {}
        for key, values in groups.items():
            n = len(values)
            under = sum(1 for v in values if v < 0.5)
            over = sum(1 for v in values if v >= 1)
            out[key] = {
                "reps_with_quota": n,
                "reps_under_50pct": under,
                "reps_50_to_100pct": n - under - over,
                "reps_100pct_or_more": over,
                "share_under_50pct": ratio(under, n),
                "share_50_to_100pct": ratio(n - under - over, n),
                "share_100pct_or_more": ratio(over, n),
                "attainment_p25": quantile_cont(values, 0.25),
                "attainment_median": quantile_cont(values, 0.5),
                "attainment_p75": quantile_cont(values, 0.75),
            }
        return out

    @staticmethod
    def _states(deal: Deal, removed: datetime | None) -> list[tuple[datetime, dict | None]]:
        """The deal's state after each instant at which it changed (None once removed)."""
        names = ("stage", "amount_home", "expected_close", "owner", "forecast_category")
        instants = sorted({ts for name in names for ts, _ in deal.changes[name]})
        timeline: list[tuple[datetime, dict | None]] = []
        for ts in instants:
            if removed is not None and ts > removed:
                break
            stage = deal.value_at("stage", ts)
            expected = deal.value_at("expected_close", ts)
            timeline.append(
                (
                    ts,
                    {
                        "stage": stage,
                        "open": stage is not None and stage not in CLOSED,
                        "amount": Decimal(deal.value_at("amount_home", ts) or 0),
                        "expected": (
                            datetime.fromisoformat(expected.replace("Z", "+00:00"))
                            if expected
                            else None
                        ),
                        "owner": deal.value_at("owner", ts),
                        "category": deal.value_at("forecast_category", ts),
                    },
                )
            )
        if removed is not None and timeline:
            timeline.append((removed, None))
        return timeline

    def activity_effectiveness(self) -> dict[tuple[str, date, str], dict]:
        """rep x fiscal quarter x meetings-per-deal bucket: closed deals and win rate."""
        groups: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0])
        for deal in self.deals.values():
            closed = deal.closed_at
            if closed is None or deal.stage not in (WON, LOST):
                continue
            n = deal.meetings
            bucket = "0" if n == 0 else "1" if n == 1 else "2-3" if n <= 3 else "4+"
            key = (deal.owner_at_close, self.fiscal_quarter_start(self.month(closed)), bucket)
            groups[key][0] += 1
            groups[key][1] += int(deal.stage == WON)
        return {
            k: {"closed_deals": c, "won_deals": w, "win_rate": ratio(w, c)}
            for k, (c, w) in groups.items()
        }

    def lead_funnel(self) -> dict[tuple[str, date, str], dict]:
        """contact owner x create month x lifecycle stage: reached (this or later), conversion."""
        reached: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0] * len(LIFECYCLE))
        for contact in self.contacts.values():
            key = (contact["owner_id"], self.month(contact["created_at"]))
            furthest = max(LIFECYCLE.index(s) for s in contact["reached"])
            for i in range(furthest + 1):
                reached[key][i] += 1
        out = {}
        for (owner, m), counts in reached.items():
            for i, stage in enumerate(LIFECYCLE):
                nxt = counts[i + 1] if i + 1 < len(LIFECYCLE) else None
                out[(owner, m, stage)] = {
                    "contacts_reached": counts[i],
                    "conversion_to_next": ratio(nxt, counts[i]) if nxt is not None else None,
                }
        return out

    def scorecard(self) -> dict[tuple[str, date, str], dict]:
        """rep x month x KPI over the trailing 3 months, against team and company."""
        facts = self.base_facts()

        def window_value(owner: str, m: date) -> dict:
            rows = [facts[(owner, w)] for w in months_back(m, 3) if (owner, w) in facts]
            f = self.combine(rows) if rows else None
            if f is None:
                return {}
            k = self.kpis(f)
            k["activities"] = k["activities_total"]
            k["closed_deals"] = f["won_deals"] + f["lost_deals"]
            k["sales_cycle_days_median"] = median(f["cycle_days"])
            # Scorecard values are floats (double precision in the mart).
            return {key: float(v) if isinstance(v, Decimal) else v for key, v in k.items()}

        out = {}
        for m in self.months:
            prev = months_back(m, 4)[0]
            current = {o: window_value(o, m) for o in self.reps}
            previous = {o: window_value(o, prev) for o in self.reps}
            for kpi, higher, sample_col, min_sample in SCORECARD_KPIS:
                values = {o: current[o][kpi] for o in self.reps if current[o][kpi] is not None}
                for owner in self.reps:
                    team = self.team_of[owner]
                    team_vals = [v for o, v in values.items() if self.team_of[o] == team]
                    all_vals = list(values.values())
                    value = current[owner][kpi]
                    sign = 1 if higher else -1
                    sample = current[owner][sample_col]
                    p75, p25 = quantile_cont(team_vals, 0.75), quantile_cont(team_vals, 0.25)
                    ok = value is not None and sample >= min_sample and p75 != p25
                    prev_value = previous[owner].get(kpi) if previous[owner] else None
                    out[(owner, m, kpi)] = {
                        "value": value,
                        "team_median": quantile_cont(team_vals, 0.5),
                        "company_median": quantile_cont(all_vals, 0.5),
                        "team_percentile": (
                            None
                            if value is None
                            else percent_rank(sign * value, [sign * v for v in team_vals])
                        ),
                        "company_percentile": (
                            None
                            if value is None
                            else percent_rank(sign * value, [sign * v for v in all_vals])
                        ),
                        "change_vs_previous": (
                            None if value is None or prev_value is None else value - prev_value
                        ),
                        "sample_size": sample,
                        "strength_candidate": ok and (value >= p75 if higher else value <= p25),
                        "weakness_candidate": ok and (value <= p25 if higher else value >= p75),
                    }
        # Up to 3 strengths (best team percentile first) and 3 weaknesses (worst first).
        kpi_order = {k[0]: i for i, k in enumerate(SCORECARD_KPIS)}
        for owner in self.reps:
            for m in self.months:
                rows = {k: out[(owner, m, k)] for k, *_ in SCORECARD_KPIS}
                strengths = sorted(
                    (k for k, r in rows.items() if r["strength_candidate"]),
                    key=lambda k: (-rows[k]["team_percentile"], kpi_order[k]),
                )[:3]
                weaknesses = sorted(
                    (k for k, r in rows.items() if r["weakness_candidate"]),
                    key=lambda k: (rows[k]["team_percentile"], kpi_order[k]),
                )[:3]
                for k, r in rows.items():
                    r["is_strength"] = k in strengths
                    r["is_weakness"] = k in weaknesses
        return out


WATERFALL_MOVES = [
    "pipeline_start", "created", "pulled_in", "reopened", "transferred_in", "increase",
    "decrease", "pushed_out", "won", "lost", "deleted", "transferred_out", "pipeline_end",
]  # fmt: skip


# The deal risk rules' thresholds (dbt vars risk_*, their defaults) and signals.
RISK = {
    "baseline_months": 12,
    "min_won": 5,
    "stage_percentile": 0.75,
    "close_pushes": 2,
    "amount_cut_share": Decimal("0.15"),
    "owner_change_days": 30,
    "backtest_days": 30,
}
RISK_SIGNALS = ["quiet", "stuck", "pushed", "amount_cut", "owner_changed", "overdue"]
# The forecast category a rep called -> the bucket mart_forecast_calls counts it in (a deal
# without one is pipeline).
FORECAST_BUCKET = {
    "commit": "commit",
    "closed": "commit",
    "best_case": "best_case",
    "omit": "omitted",
}
FORECAST_BUCKETS = ["commit", "best_case", "pipeline", "omitted"]


def next_month(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1)


def state_at(timeline: list[tuple[datetime, dict | None]], at: datetime) -> dict | None:
    state = None
    for ts, s in timeline:
        if ts > at:
            break
        state = s
    return state


def _change_moves(before, state, created, was, now, g0, g1) -> list[tuple]:
    """The waterfall moves of one change of a deal, (group, move, amount): the deal was in
    the period's pipeline before it (was, group g0) and/or is after it (now, group g1)."""
    moves = []
    if was:
        a0 = before["amount"]
        a1 = state["amount"] if state else a0
        if a1 != a0:  # an edit counts first, where the deal is after it
            moves.append((g1 if now else g0, "increase" if a1 > a0 else "decrease", abs(a1 - a0)))
        if now and g0 != g1:
            moves += [(g0, "transferred_out", a0), (g1, "transferred_in", a0)]
        if not now:
            move = (
                "deleted" if state is None
                else "won" if state["stage"] == WON
                else "lost" if state["stage"] in CLOSED
                else "pushed_out"
            )  # fmt: skip
            moves.append((g0, move, a1))
    elif now:
        move = "created" if created else "reopened" if before["stage"] in CLOSED else "pulled_in"
        moves.append((g1, move, state["amount"]))
    return moves


def month_range(first: date, last: date) -> list[date]:
    out, cur = [], first
    while cur <= last:
        out.append(cur)
        cur = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def months_back(m: date, n: int) -> list[date]:
    """The n months ending with m, oldest first."""
    out = [m]
    for _ in range(n - 1):
        out.insert(0, (out[0] - timedelta(days=1)).replace(day=1))
    return out


def company_month_of(truths: list[Truth]) -> dict[tuple[str, date], dict]:
    """The company x month ground truth of several CRM connections read as one sales
    organisation: their base facts summed month by month, every KPI recomputed from the sums
    (as mart_company_performance_monthly does over every connection)."""
    grouped: dict[date, list[dict]] = defaultdict(list)
    for truth in truths:
        for (_, m), facts in truth.base_facts().items():
            grouped[m].append(facts)
    return {("company", m): row for m, row in truths[0].monthly_kpis(grouped).items()}


def person_month_of(identities: list[tuple[Truth, str]]) -> dict[date, dict]:
    """Month x KPIs of one person who is a rep in several CRM connections: the base facts of
    each identity (a truth and that CRM's owner id) summed month by month, as
    mart_rep_performance_monthly does for a rep whose e-mail address is shared."""
    grouped: dict[date, list[dict]] = defaultdict(list)
    for truth, owner in identities:
        for (o, m), facts in truth.base_facts().items():
            if o == owner:
                grouped[m].append(facts)
    return identities[0][0].monthly_kpis(grouped)
