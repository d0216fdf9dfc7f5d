"""Seeded generator of a sales organisation, its CRM records and its ground truth.

The generator first writes an *event log* (deal created, stage changed, owner changed,
amount changed, activity logged, quota set). CRM records with property history are built
from that log, and the ground truth that tests compare the marts against is computed from
the same log, never from the warehouse. The organisation knows no CRM: its records
(`entities`) and the log name things in their own words; `objects` holds the same records
as HubSpot serves them (hubspot_records.py renders them), and another CRM's sandbox renders
the same organisation its own way.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from faker import Faker

from ingestion.sandbox.tables import Entity, EntityTable, RecordTable


@dataclass(frozen=True)
class Preset:
    teams: int
    reps_per_team: int
    deals_per_rep_month: float
    months: int = 24


PRESETS: dict[str, Preset] = {
    "small": Preset(teams=4, reps_per_team=6, deals_per_rep_month=4.0),
    "medium": Preset(teams=20, reps_per_team=10, deals_per_rep_month=21.0),
    "large": Preset(teams=100, reps_per_team=20, deals_per_rep_month=21.0),
}

# The sandbox clock: fixed so that a seed always gives the same organisation.
# Exchange rates are in AZN per unit; the CRM converts deal amounts to its home currency.
DEFAULT_NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
# History is generated this far past `now`; advancing the clock reveals it day by day.
HORIZON_DAYS = 120
MAX_HISTORY_MONTHS = 120
PORTAL_TIMEZONE = "Asia/Baku"
HOME_CURRENCY = "AZN"
EXCHANGE_RATES = {"AZN": Decimal("1"), "USD": Decimal("1.70"), "EUR": Decimal("1.85")}
CURRENCY_WEIGHTS = [("AZN", 0.6), ("USD", 0.3), ("EUR", 0.1)]
HIRED_SHARE = 0.2  # of the reps, join during the history (Organisation._hire_some)
# Forecast habits: for a deal the rep will win / lose, (probability, earliest, latest share
# of the way to the close) of calling it best case, commit, or (a loser) omit. Accurate reps
# commit their winners midway; sandbaggers call few and late; optimists commit early, losers
# too, and seldom give up on one.
FORECAST_HABITS = {
    "accurate": {
        True: {"best_case": (0.7, 0.3, 0.5), "commit": (0.85, 0.55, 0.85)},
        False: {"best_case": (0.4, 0.3, 0.6), "commit": (0.1, 0.6, 0.75), "omit": (0.3, 0.8, 0.95)},
    },
    "sandbagger": {
        True: {"best_case": (0.6, 0.4, 0.7), "commit": (0.35, 0.9, 0.98)},
        False: {"best_case": (0.2, 0.4, 0.6), "omit": (0.4, 0.7, 0.95)},
    },
    "optimist": {
        True: {"best_case": (0.8, 0.1, 0.25), "commit": (0.95, 0.25, 0.5)},
        False: {"best_case": (0.7, 0.1, 0.3), "commit": (0.6, 0.3, 0.6), "omit": (0.05, 0.9, 0.98)},
    },
}

PIPELINE_ID = "default"
# (id, label, probability, is_closed) in display order, as HubSpot's default sales pipeline.
STAGES = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
]
OPEN_STAGES = [s[0] for s in STAGES if not s[3]]

# HubSpot's default call disposition ids.
# How a call ends, most likely first (each CRM names them its own way).
CALL_OUTCOMES = ["connected", "no_answer", "left_voicemail", "busy"]
ACTIVITY_TYPES = ("calls", "emails", "meetings", "tasks")
TEAM_NAMES = ["Bakı", "Gəncə", "Sumqayıt", "Şəki", "Lənkəran", "Quba", "Naxçıvan", "Şirvan"]


def unknown_preset_message(name: str) -> str:
    return f"unknown sandbox preset {name!r}: use one of {', '.join(PRESETS)}"


def iso(ts: datetime) -> str:
    """HubSpot's timestamp format: UTC with milliseconds and a Z."""
    if ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    return ts.isoformat(timespec="milliseconds")[:23] + "Z"  # without "+00:00"


def money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ascii_slug(text: str) -> str:
    table = str.maketrans({"ə": "e", "Ə": "E", "ı": "i", "İ": "I", "ş": "s", "Ş": "S"})
    normal = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(c for c in normal if c.isalnum() and c.isascii()).lower()


@dataclass
class Rep:
    owner_id: str
    user_id: int
    first_name: str
    last_name: str
    email: str
    team_id: str
    win_skill: float
    size_mult: float
    cycle_mult: float
    activity_mult: float
    csat_mean: float
    monthly_quota: Decimal
    # When the rep joined: the founding reps long before the history starts, the others
    # (hires) during it; a hire owns nothing before, gets quotas from the month after,
    # ramped up (25%, 50%, 75%, then full), and wins less in their first months.
    hired_at: datetime
    # How the rep calls their deals' forecast category (Organisation._forecast_calls).
    forecast_habit: str = "accurate"


@dataclass
class Event:
    ts: datetime
    kind: str
    data: dict


class Organisation:
    """A generated sales org: reps, records by object type, and the event log."""

    def __init__(
        self,
        preset: str = "small",
        seed: int = 42,
        now: datetime = DEFAULT_NOW,
        timezone: str = PORTAL_TIMEZONE,
        home_currency: str = HOME_CURRENCY,
        days_later: float = 0,
        history_months: int | None = None,
        keep_log: bool = True,
    ):
        """`now` anchors the generated history (it starts `history_months`, by default the
        preset's months, before); `days_later` moves the clock past it: the same
        organisation, days later, with what happened in between (new deals, stage moves,
        closes, edits, activities). A longer history is the same size of organisation
        (reps, teams, deals and activities per month) over more months. The event log is
        what the ground truth (truth.py) is computed from; a sandbox serving the records
        alone does without it (`keep_log=False`: the log takes more memory than the packed
        records, tables.py)."""
        if preset not in PRESETS:
            raise ValueError(unknown_preset_message(preset))
        if not 0 <= days_later <= HORIZON_DAYS:
            raise ValueError(f"the sandbox clock can move 0 to {HORIZON_DAYS} days ahead")
        if history_months is not None and not 1 <= history_months <= MAX_HISTORY_MONTHS:
            raise ValueError(f"history months: 1 to {MAX_HISTORY_MONTHS}")
        if home_currency not in EXCHANGE_RATES:
            raise ValueError(
                f"unknown home currency {home_currency!r}: use one of {', '.join(EXCHANGE_RATES)}"
            )
        self.preset_name = preset
        self.preset = PRESETS[preset]
        self.history_months = history_months or self.preset.months
        self.seed = seed
        self.anchor = now
        self.days_later = days_later
        self.now = now + timedelta(days=days_later)  # the CRM's clock: what exists so far
        self.horizon = now + timedelta(days=HORIZON_DAYS)
        self.timezone = timezone
        self.home_currency = home_currency
        self.tz = ZoneInfo(timezone)
        self.rng = random.Random(seed)
        self.faker = Faker("az_AZ")
        self.faker.seed_instance(seed)
        self.keep_log = keep_log
        self.events: list[Event] = []
        # Deals users deleted or merged away (drift.py): when, and the merged-away deals'
        # own events (dropped from the log, which describes the CRM after the merges).
        self.removed_deals: dict[str, datetime] = {}
        self.removed_deal_events: list[Event] = []
        # Properties an account defined itself, per object type (not hubspotDefined).
        self.custom_properties: dict[str, set[str]] = {}
        self.reps: list[Rep] = []
        self.teams: dict[str, str] = {}
        # The organisation's records, by kind, in its own words.
        self.entities: dict[str, EntityTable] = {
            kind: EntityTable()
            for kind in ("companies", "contacts", "deals", *ACTIVITY_TYPES, "quotas", "feedback")
        }
        # The same records as HubSpot serves them (hubspot_records.render, after the build).
        self.objects: dict[str, RecordTable] = {}
        self._next_id = 1000
        local_now = self.anchor.astimezone(self.tz)
        first = date(local_now.year, local_now.month, 1)
        for _ in range(self.history_months):
            first = (first - timedelta(days=1)).replace(day=1)
        self.start = datetime(first.year, first.month, first.day, tzinfo=self.tz).astimezone(UTC)
        # Every random draw is made whatever the clock, so a later clock shows the same
        # organisation further on; what lies after the clock is left out.
        self.span = (self.horizon - self.start).total_seconds()
        self._build()

    def rate_to_home(self, currency: str) -> Decimal:
        """The CRM's exchange rate from a deal currency to its home currency."""
        return EXCHANGE_RATES[currency] / EXCHANGE_RATES[self.home_currency]

    # ---------------------------------------------------------------- building
    def _id(self) -> str:
        self._next_id += self.rng.randint(1, 7)
        return str(self._next_id)

    def _log(self, ts: datetime, kind: str, **data) -> None:
        """Record an event as the CRM stores it: up to the clock, to the millisecond."""
        if ts <= self.now and self.keep_log:
            self.events.append(
                Event(ts.replace(microsecond=ts.microsecond // 1000 * 1000), kind, data)
            )

    def _build(self) -> None:
        self._build_reps()
        self._build_accounts()
        self._build_leads()
        self._build_quotas()
        self._build_deals()
        self._build_prospecting()
        self._build_nps()
        self.events.sort(key=lambda e: e.ts)
        from ingestion.sandbox.hubspot_records import render

        self.objects = render(self)

    def _build_reps(self) -> None:
        rng, fk = self.rng, self.faker
        for t in range(self.preset.teams):
            team_id = str(7000 + t)
            base = TEAM_NAMES[t % len(TEAM_NAMES)]
            self.teams[team_id] = f"{base} satış komandası {t // len(TEAM_NAMES) + 1}"
            for _ in range(self.preset.reps_per_team):
                i = len(self.reps)
                male = rng.random() < 0.5
                win_skill, size_mult = rng.uniform(0.15, 0.5), rng.uniform(0.6, 1.8)
                # Quota near what the rep can be expected to book, some stretch, some easy.
                expected = 6000 * size_mult * self.preset.deals_per_rep_month * (win_skill + 0.15)
                quota = money(round(expected * rng.uniform(0.7, 1.4) / 500) * 500)
                first = fk.first_name_male() if male else fk.first_name_female()
                last = fk.last_name()
                self.reps.append(
                    Rep(
                        owner_id=str(30000000 + i * 17),
                        user_id=9000000 + i,
                        first_name=first,
                        last_name=last,
                        email=f"{ascii_slug(first)}.{ascii_slug(last)}{i}@satis.example.az",
                        team_id=team_id,
                        win_skill=win_skill,
                        size_mult=size_mult,
                        cycle_mult=rng.uniform(0.6, 1.6),
                        activity_mult=rng.uniform(0.5, 1.6),
                        csat_mean=rng.uniform(3.0, 4.8),
                        monthly_quota=max(quota, money(500)),
                        hired_at=self.start - timedelta(days=730),
                    )
                )
        self._hire_some()
        habits = random.Random(f"{self.seed}:habits")
        for rep in self.reps:
            rep.forecast_habit = habits.choices(list(FORECAST_HABITS), [2, 1, 1])[0]

    def _hire_some(self) -> None:
        """About a fifth of the reps (never a team's first) join during the history, from
        its fifth month to three months before the clock (their own generator: every
        other draw of the organisation stays the same)."""
        rng = random.Random(f"{self.seed}:hires")
        first = self.start + timedelta(days=120)
        last = self.anchor - timedelta(days=90)
        firsts = {r.team_id: r for r in reversed(self.reps)}
        for rep in self.reps:
            if rep is not firsts[rep.team_id] and rng.random() < HIRED_SHARE and last > first:
                rep.hired_at = first + (last - first) * rng.random()

    def _active_from(self, rep: Rep) -> tuple[datetime, float]:
        """The rep's part of the generated span: from when they joined (or the history's
        start) to the horizon, and its length in seconds."""
        start = max(self.start, rep.hired_at)
        return start, (self.horizon - start).total_seconds()

    def _build_accounts(self) -> None:
        rng, fk = self.rng, self.faker
        self.rep_companies: dict[str, list[str]] = defaultdict(list)
        self.company_contacts: dict[str, list[str]] = defaultdict(list)
        for rep in self.reps:
            since, _ = self._active_from(rep)
            for _ in range(max(4, int(self.preset.deals_per_rep_month * 3))):
                created = since + timedelta(days=rng.uniform(0, 60 if since == self.start else 30))
                cid = self._id()
                name = fk.company()
                self.entities["companies"].add(
                    Entity(
                        id=cid,
                        fields={
                            "name": name,
                            "domain": f"{ascii_slug(name)[:20] or 'firma'}{cid}.az",
                            "city": fk.city(),
                            "industry": rng.choice(
                                ["RETAIL", "CONSTRUCTION", "BANKING", "LOGISTICS"]
                            ),
                            "owner": rep.owner_id,
                        },
                        created_at=created,
                        updated_at=created,
                    )
                )
                self.rep_companies[rep.owner_id].append(cid)
                for _ in range(rng.randint(1, 3)):
                    self._contact(rep, cid, created + timedelta(hours=rng.uniform(0, 48)))

    def _build_leads(self) -> None:
        """New leads every month for each rep, at one of the rep's companies."""
        for rep in self.reps:
            since, span = self._active_from(rep)
            for _ in range(int(self.generated_months * span / self.span * 3 * rep.activity_mult)):
                created = since + timedelta(seconds=self.rng.uniform(0, span))
                self._contact(rep, self.rng.choice(self.rep_companies[rep.owner_id]), created)

    def _contact(self, rep: Rep, company_id: str, created: datetime) -> None:
        """A contact moving through lifecycle stages; skipped stages get no date."""
        rng, fk = self.rng, self.faker
        kid = self._id()
        first, last = fk.first_name(), fk.last_name()
        reached: list[tuple[str, datetime]] = [("lead", created)]
        odds = {
            "marketingqualifiedlead": 0.75,
            "salesqualifiedlead": 0.65,
            "opportunity": min(0.9, rep.win_skill + 0.3),
            "customer": 0.5,
        }
        ts = created
        for stage, p in odds.items():
            if stage in ("marketingqualifiedlead", "salesqualifiedlead") and rng.random() < 0.2:
                continue  # skipped
            if rng.random() > p:
                break
            ts += timedelta(days=rng.uniform(1, 20) * rep.cycle_mult)
            reached.append((stage, ts))
        reached = [(stage, at) for stage, at in reached if at <= self.now]
        if not reached:
            return
        for stage, at in reached:
            self._log(at, "lifecycle", contact_id=kid, stage=stage, owner_id=rep.owner_id)
        self.entities["contacts"].add(
            Entity(
                id=kid,
                fields={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{ascii_slug(first)}.{ascii_slug(last)}{kid}@mail.example.az",
                    "company": company_id,
                    "owner": rep.owner_id,
                    "stages_reached": reached,
                },
                created_at=created,
                updated_at=reached[-1][1],
                associations={"companies": [company_id]},
            )
        )
        self.company_contacts[company_id].append(kid)

    @property
    def generated_months(self) -> float:
        return self.span / 86400 / 30.44

    def _month_starts(self) -> list[datetime]:
        """Local month starts from the first generated month through the horizon's month."""
        out, cur = [], self.start.astimezone(self.tz)
        while cur <= self.horizon:
            out.append(cur)
            nxt = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
            cur = nxt.replace(tzinfo=None).replace(tzinfo=self.tz)
        return out

    def _build_quotas(self) -> None:
        """Monthly revenue targets; the first team gets quarterly ones (spread by day)."""
        months = self._month_starts()
        first_team = next(iter(self.teams))
        for rep in self.reps:
            periods: list[tuple[datetime, datetime, Decimal]] = []
            hired = rep.hired_at > self.start
            if rep.team_id == first_team:
                quarter_starts = [m for m in months if m.month in (1, 4, 7, 10)]
                if months[0].month not in (1, 4, 7, 10):
                    q0 = months[0].replace(month=((months[0].month - 1) // 3) * 3 + 1)
                    quarter_starts.insert(0, q0)
                for qs in quarter_starts:
                    qe = qs
                    for _ in range(3):
                        qe = (qe.replace(day=28) + timedelta(days=4)).replace(day=1)
                    periods.append((qs, qe, rep.monthly_quota * 3))
            else:
                for ms in months:
                    me = (ms.replace(day=28) + timedelta(days=4)).replace(day=1)
                    periods.append((ms, me, rep.monthly_quota))
            if hired:
                # From the first period starting after the hire, ramped up.
                periods = [p for p in periods if p[0] >= rep.hired_at]
                periods = [
                    (start, end, money(amount * min(Decimal(1), Decimal(k + 1) / 4)))
                    for k, (start, end, amount) in enumerate(periods)
                ]
            for start, end, amount in periods:
                gid = self._id()
                start_utc = start.astimezone(UTC)
                end_utc = end.astimezone(UTC) - timedelta(milliseconds=1)
                created = max(self.start - timedelta(days=20), start_utc - timedelta(days=10))
                if created > self.now:
                    continue  # set up ten days before the period starts
                self.entities["quotas"].add(
                    Entity(
                        id=gid,
                        fields={
                            "period_start": start,
                            "quarterly": (end - start).days > 40,
                            "amount": amount,
                            "start": start_utc,
                            "end": end_utc,
                            "user_id": rep.user_id,
                        },
                        created_at=created,
                        updated_at=created,
                    )
                )
                self._log(
                    created,
                    "quota_set",
                    owner_id=rep.owner_id,
                    start=start_utc,
                    end=end_utc,
                    amount=amount,
                )

    def _same_team_rep(self, rep: Rep, at: datetime) -> Rep:
        """A teammate who had joined by `at`."""
        mates = [
            r for r in self.reps if r.team_id == rep.team_id and r is not rep and r.hired_at <= at
        ]
        return self.rng.choice(mates) if mates else rep

    def _build_deals(self) -> None:
        rng = self.rng
        for rep in self.reps:
            since, span = self._active_from(rep)
            per_rep = int(
                self.preset.deals_per_rep_month * self.generated_months * span / self.span
            )
            for _ in range(rng.randint(int(per_rep * 0.7), int(per_rep * 1.3))):
                created = since + timedelta(seconds=rng.uniform(0, span))
                self._build_deal(rep, created)

    def _stage_path(self, won: bool, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        """Stage changes from start (first open stage) to the closed stage at end."""
        rng = self.rng
        if won:
            path = [s for s in OPEN_STAGES if s == OPEN_STAGES[0] or rng.random() > 0.15]
            path.append("closedwon")
        else:
            path = OPEN_STAGES[: rng.randint(1, len(OPEN_STAGES))] + ["closedlost"]
        times = [start]
        for k in range(1, len(path) - 1):
            frac = k / (len(path) - 1)
            times.append(start + (end - start) * (frac * rng.uniform(0.8, 1.0)))
        times.append(end)
        return list(zip(sorted(times), path, strict=True))

    def _build_deal(self, rep: Rep, created: datetime) -> None:
        rng = self.rng
        did = self._id()
        currency = rng.choices([c for c, _ in CURRENCY_WEIGHTS], [w for _, w in CURRENCY_WEIGHTS])[
            0
        ]
        rate = self.rate_to_home(currency)
        amount = money(rng.lognormvariate(math.log(4000 * rep.size_mult), 0.6))
        expected_days = max(3.0, rng.gammavariate(3.0, 15.0) * rep.cycle_mult)
        # Activity volume drives outcome: more meetings, better odds.
        counts = {
            "calls": _poisson(rng, 3.0 * rep.activity_mult),
            "emails": _poisson(rng, 4.0 * rep.activity_mult),
            "meetings": _poisson(rng, 1.5 * rep.activity_mult),
            "tasks": _poisson(rng, 2.0 * rep.activity_mult),
        }
        # A new rep wins less at first: 40% of their skill, full after four months.
        ramp = min(1.0, 0.4 + 0.6 * (created - rep.hired_at).days / 120)
        p_win = min(0.9, rep.win_skill * ramp + 0.07 * min(counts["meetings"], 4))
        won = rng.random() < p_win
        close_ts = created + timedelta(
            days=expected_days * rng.uniform(0.7, 1.4), seconds=rng.uniform(0, 3600)
        )
        changes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        changes["stage"] = self._stage_path(won, created, close_ts)

        # Expected close date: set at creation, sometimes pushed out, set to the close on closing.
        expected = created + timedelta(days=expected_days)
        changes["expected_close"].append((created, iso(expected)))
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            at = created + (close_ts - created) * rng.uniform(0.2, 0.9)
            expected += timedelta(days=rng.uniform(10, 40))
            changes["expected_close"].append((at, iso(expected)))
        changes["expected_close"].append((close_ts, iso(close_ts)))

        owners = [(created, rep.owner_id)]
        if rng.random() < 0.05 and len(changes["stage"]) > 2:
            handover = created + (close_ts - created) * 0.5
            owners.append((handover, self._same_team_rep(rep, handover).owner_id))
        changes["owner"] = owners
        amounts = [(created, amount)]
        if rng.random() < 0.2:
            changed = money(amount * Decimal(str(rng.uniform(0.8, 1.2))))
            amounts.append((created + (close_ts - created) * 0.4, changed))

        last_close = close_ts
        if not won and rng.random() < 0.06:
            # Lost, then reopened and worked again.
            reopened = close_ts + timedelta(days=rng.uniform(5, 40))
            last_close = reopened + timedelta(days=rng.uniform(10, 60))
            second = self._stage_path(rng.random() < p_win, reopened, last_close)
            changes["stage"] += [(reopened, "qualifiedtobuy"), *second[1:]]
            changes["expected_close"] += [
                (reopened, iso(reopened + timedelta(days=30))),
                (last_close, iso(last_close)),
            ]
        last_close = self._after_close(did, rep, changes, amounts, last_close)
        changes["forecast_category"] = self._forecast_calls(
            did, rep, won, created, close_ts, changes
        )
        changes["amount"] = [(ts, f"{v:.2f}") for ts, v in amounts]
        changes["amount_home"] = [(ts, f"{money(v * rate):.2f}") for ts, v in amounts]
        changes["currency"] = [(created, currency)]
        changes["pipeline"] = [(created, PIPELINE_ID)]

        # The CRM (and the event log) only know what happened up to the clock.
        self._log(created, "deal_created", deal_id=did, owner_id=rep.owner_id)
        history: dict[str, list[tuple[str, datetime]]] = {}
        for name, values in changes.items():
            values = sorted((c for c in values if c[0] <= self.now), key=lambda c: c[0])
            history[name] = [(v, ts) for ts, v in values]
            for ts, value in values:
                self._log(ts, "deal_property", deal_id=did, name=name, value=value)

        # Activities between creation and close, by whoever owned the deal then.
        for kind, n in counts.items():
            for _ in range(n):
                ts = created + (close_ts - created) * rng.random()
                owner = [o for t, o in owners if t <= ts][-1]
                self._activity(kind, ts, owner, deal_id=did)

        company = rng.choice(self.rep_companies[rep.owner_id])
        final_stage = sorted(changes["stage"], key=lambda c: c[0])[-1][1]
        csat_roll, csat_delay = rng.random(), rng.uniform(1, 14)
        csat_score = round(min(5.0, max(1.0, rng.gauss(rep.csat_mean, 0.8))))
        if final_stage == "closedwon" and csat_roll < 0.6:
            at = last_close + timedelta(days=csat_delay)
            self._feedback("CSAT", at, csat_score, deal_id=did, company_id=company)
        if created > self.now:
            return
        last_change = max(ts for v in history.values() for _, ts in v)
        self.entities["deals"].add(
            Entity(
                id=did,
                fields={"company": company, "current": {k: v[-1][0] for k, v in history.items()}},
                created_at=created,
                updated_at=last_change,
                history=history,
                associations={
                    "companies": [company],
                    "contacts": list(self.company_contacts[company]),
                },
            )
        )

    def _after_close(
        self,
        did: str,
        rep: Rep,
        changes: dict[str, list[tuple[datetime, str]]],
        amounts: list[tuple[datetime, Decimal]],
        last_close: datetime,
    ) -> datetime:
        """What users do to a closed deal, each a rule of docs/METRICS.md the marts must get
        right: hand the deal to another rep (the credit stays with the owner at the close),
        back-date its close date property (the time it entered the closed stage counts),
        correct a won deal's amount (bookings are the amount the CRM holds now, in the month
        of the close), or reopen a won deal and win it again (the last close counts). Drawn
        from the deal's own generator, so every other record of the organisation stays the
        same. Returns the deal's last close."""
        rng = random.Random(f"{self.seed}:{did}:after-close")
        won = sorted(changes["stage"])[-1][1] == "closedwon"
        roll = rng.random()
        later = last_close + timedelta(days=rng.uniform(1, 30), seconds=rng.uniform(0, 3600))
        if roll < 0.05:
            owner = sorted(changes["owner"])[-1][1]
            mates = [
                r.owner_id
                for r in self.reps
                if r.team_id == rep.team_id and r.owner_id != owner and r.hired_at <= later
            ]
            if mates:
                changes["owner"].append((later, rng.choice(mates)))
        elif roll < 0.10:
            backdated = last_close - timedelta(days=rng.uniform(3, 20))
            changes["expected_close"].append((later, iso(backdated)))
        elif roll < 0.15 and won:
            corrected = money(amounts[-1][1] * Decimal(str(rng.uniform(0.8, 1.25))))
            amounts.append((later, corrected))
        elif roll < 0.19 and won:
            # Reopened (a change of scope) and won again: still won, so the deal's feedback,
            # drawn from the organisation's generator, is drawn as before.
            reclosed = later + timedelta(days=rng.uniform(5, 30))
            changes["stage"] += [(later, "contractsent"), (reclosed, "closedwon")]
            changes["expected_close"] += [
                (later, iso(reclosed + timedelta(days=7))),
                (reclosed, iso(reclosed)),
            ]
            return reclosed
        return last_close

    def _forecast_calls(
        self,
        did: str,
        rep: Rep,
        won: bool,
        created: datetime,
        close_ts: datetime,
        changes: dict[str, list[tuple[datetime, str]]],
    ) -> list[tuple[datetime, str]]:
        """The deal's forecast category as its owner calls it (Rep.forecast_habit): pipeline
        at creation, maybe best case and commit on the way, closed when won and omit when
        lost; a deal reopened is pipeline again. Drawn from the deal's own generator, so
        every other record of the organisation stays the same."""
        rng = random.Random(f"{self.seed}:{did}:forecast")
        calls = [(created, "pipeline")]
        for category, (p, first, last) in FORECAST_HABITS[rep.forecast_habit][won].items():
            if rng.random() < p:
                calls.append((created + (close_ts - created) * rng.uniform(first, last), category))
        calls.sort()
        was_closed = False
        for ts, stage in sorted(changes["stage"]):
            if stage in ("closedwon", "closedlost"):
                calls = [c for c in calls if c[0] < ts]
                calls.append((ts, "closed" if stage == "closedwon" else "omit"))
                was_closed = True
            elif was_closed:
                calls.append((ts, "pipeline"))
                was_closed = False
        return calls

    def _feedback(
        self, survey: str, ts: datetime, value: int, deal_id: str | None, company_id: str
    ) -> None:
        fid = self._id()
        if ts > self.now:
            return
        self.entities["feedback"].add(
            Entity(
                id=fid,
                fields={"survey": survey, "score": value},
                created_at=ts,
                updated_at=ts,
                associations={"companies": [company_id]}
                | ({"deals": [deal_id]} if deal_id else {}),
            )
        )
        self._log(
            ts, "feedback", survey=survey, value=value, deal_id=deal_id, company_id=company_id
        )

    def _build_nps(self) -> None:
        """NPS surveys to companies about every quarter, scored by how the owner serves them."""
        rng = self.rng
        reps = {r.owner_id: r for r in self.reps}
        for cid, company in self.entities["companies"].items():
            owner = reps[company.fields["owner"]]
            ts = company.created_at + timedelta(days=rng.uniform(20, 90))
            while ts <= self.horizon:
                if rng.random() < 0.5:
                    score = round(min(10.0, max(0.0, rng.gauss(owner.csat_mean * 2, 2.0))))
                    self._feedback("NPS", ts, score, deal_id=None, company_id=cid)
                ts += timedelta(days=rng.uniform(60, 120))

    def _activity(self, kind: str, ts: datetime, owner_id: str, deal_id: str | None) -> None:
        rng = self.rng
        aid = self._id()
        fields: dict = {"kind": kind, "owner": owner_id}
        completed, connected = True, False
        if kind == "calls":
            outcome = rng.choices(CALL_OUTCOMES, [0.5, 0.25, 0.2, 0.05])[0]
            connected = outcome == "connected"
            fields |= {"outcome": outcome, "duration_ms": rng.randint(20, 1800) * 1000}
        elif kind == "tasks":
            completed = rng.random() < 0.8
            fields |= {
                "completed": completed,
                "task_type": rng.choice(["CALL", "EMAIL", "TODO"]),
                "priority": rng.choice(["LOW", "MEDIUM", "HIGH"]),
            }
        if ts > self.now:
            return
        self.entities[kind].add(
            Entity(
                id=aid,
                fields=fields,
                created_at=ts,
                updated_at=ts,
                associations={"deals": [deal_id]} if deal_id else {},
            )
        )
        self._log(
            ts,
            "activity",
            activity_id=aid,
            type=kind,
            owner_id=owner_id,
            completed=completed,
            connected=connected,
            deal_id=deal_id,
        )

    def _build_prospecting(self) -> None:
        """Calls and emails not tied to any deal (prospecting)."""
        for rep in self.reps:
            since, span = self._active_from(rep)
            n = int(self.generated_months * span / self.span * 4 * rep.activity_mult)
            for _ in range(n):
                ts = since + timedelta(seconds=self.rng.uniform(0, span))
                self._activity(self.rng.choice(["calls", "emails"]), ts, rep.owner_id, None)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
