"""Seeded generator of a sales organisation, its CRM records and its ground truth.

The generator first writes an *event log* (deal created, stage changed, owner changed,
amount changed, activity logged, quota set). CRM records with property history are built
from that log, and the ground truth that tests compare the marts against is computed from
the same log, never from the warehouse.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from faker import Faker


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
DEFAULT_NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
PORTAL_TIMEZONE = "Asia/Baku"
HOME_CURRENCY = "AZN"
EXCHANGE_RATES = {"AZN": Decimal("1"), "USD": Decimal("1.70"), "EUR": Decimal("1.85")}
CURRENCY_WEIGHTS = [("AZN", 0.6), ("USD", 0.3), ("EUR", 0.1)]

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
CALL_DISPOSITIONS = {
    "connected": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "no_answer": "73a0d17f-1163-4015-bdd5-ec830791da20",
    "left_voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "busy": "9d9162e7-6cf3-4944-bf63-4dff82258764",
}
ACTIVITY_TYPES = ("calls", "emails", "meetings", "tasks")
TEAM_NAMES = ["Bakı", "Gəncə", "Sumqayıt", "Şəki", "Lənkəran", "Quba", "Naxçıvan", "Şirvan"]


def unknown_preset_message(name: str) -> str:
    return f"unknown sandbox preset {name!r}: use one of {', '.join(PRESETS)}"


def iso(ts: datetime) -> str:
    """HubSpot's timestamp format: UTC with milliseconds and a Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


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
    monthly_quota: Decimal


@dataclass
class Record:
    """One CRM object as the API serves it; property values are strings, as in HubSpot."""

    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    history: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    associations: dict[str, list[str]] = field(default_factory=dict)
    archived: bool = False


@dataclass
class Event:
    ts: datetime
    kind: str
    data: dict


class Organisation:
    """A generated sales org: reps, records by object type, and the event log."""

    def __init__(self, preset: str = "small", seed: int = 42, now: datetime = DEFAULT_NOW):
        if preset not in PRESETS:
            raise ValueError(unknown_preset_message(preset))
        self.preset_name = preset
        self.preset = PRESETS[preset]
        self.seed = seed
        self.now = now
        self.tz = ZoneInfo(PORTAL_TIMEZONE)
        self.rng = random.Random(seed)
        self.faker = Faker("az_AZ")
        self.faker.seed_instance(seed)
        self.events: list[Event] = []
        self.reps: list[Rep] = []
        self.teams: dict[str, str] = {}
        self.objects: dict[str, dict[str, Record]] = {
            t: {} for t in ("companies", "contacts", "deals", *ACTIVITY_TYPES, "goal_targets")
        }
        self._next_id = 1000
        local_now = now.astimezone(self.tz)
        first = date(local_now.year, local_now.month, 1)
        for _ in range(self.preset.months):
            first = (first - timedelta(days=1)).replace(day=1)
        self.start = datetime(first.year, first.month, first.day, tzinfo=self.tz).astimezone(UTC)
        self._build()

    # ---------------------------------------------------------------- building
    def _id(self) -> str:
        self._next_id += self.rng.randint(1, 7)
        return str(self._next_id)

    def _log(self, ts: datetime, kind: str, **data) -> None:
        if ts <= self.now:
            self.events.append(Event(ts, kind, data))

    def _build(self) -> None:
        self._build_reps()
        self._build_accounts()
        self._build_quotas()
        self._build_deals()
        self._build_prospecting()
        self.events.sort(key=lambda e: e.ts)

    def _build_reps(self) -> None:
        rng, fk = self.rng, self.faker
        for t in range(self.preset.teams):
            team_id = str(7000 + t)
            base = TEAM_NAMES[t % len(TEAM_NAMES)]
            self.teams[team_id] = f"{base} satış komandası {t // len(TEAM_NAMES) + 1}"
            for _ in range(self.preset.reps_per_team):
                i = len(self.reps)
                male = rng.random() < 0.5
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
                        win_skill=rng.uniform(0.15, 0.5),
                        size_mult=rng.uniform(0.6, 1.8),
                        cycle_mult=rng.uniform(0.6, 1.6),
                        activity_mult=rng.uniform(0.5, 1.6),
                        monthly_quota=money(rng.randrange(40, 160) * 500),
                    )
                )

    def _build_accounts(self) -> None:
        rng, fk = self.rng, self.faker
        self.rep_companies: dict[str, list[str]] = defaultdict(list)
        self.company_contacts: dict[str, list[str]] = defaultdict(list)
        for rep in self.reps:
            for _ in range(max(4, int(self.preset.deals_per_rep_month * 3))):
                created = self.start + timedelta(days=rng.uniform(0, 60))
                cid = self._id()
                name = fk.company()
                self.objects["companies"][cid] = Record(
                    id=cid,
                    properties={
                        "name": name,
                        "domain": f"{ascii_slug(name)[:20] or 'firma'}{cid}.az",
                        "city": fk.city(),
                        "industry": rng.choice(["RETAIL", "CONSTRUCTION", "BANKING", "LOGISTICS"]),
                        "hubspot_owner_id": rep.owner_id,
                        "createdate": iso(created),
                        "hs_lastmodifieddate": iso(created),
                        "hs_object_id": cid,
                    },
                    created_at=created,
                    updated_at=created,
                )
                self.rep_companies[rep.owner_id].append(cid)
                for _ in range(rng.randint(1, 3)):
                    kid = self._id()
                    first, last = fk.first_name(), fk.last_name()
                    ct = created + timedelta(hours=rng.uniform(0, 48))
                    self.objects["contacts"][kid] = Record(
                        id=kid,
                        properties={
                            "firstname": first,
                            "lastname": last,
                            "email": f"{ascii_slug(first)}.{ascii_slug(last)}{kid}@mail.example.az",
                            "lifecyclestage": "lead",
                            "associatedcompanyid": cid,
                            "hubspot_owner_id": rep.owner_id,
                            "createdate": iso(ct),
                            "lastmodifieddate": iso(ct),
                            "hs_object_id": kid,
                        },
                        created_at=ct,
                        updated_at=ct,
                        associations={"companies": [cid]},
                    )
                    self.company_contacts[cid].append(kid)

    def _month_starts(self) -> list[datetime]:
        """Local month starts from the first generated month through the clock's month."""
        out, cur = [], self.start.astimezone(self.tz)
        while cur <= self.now:
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
            for start, end, amount in periods:
                gid = self._id()
                start_utc = start.astimezone(UTC)
                end_utc = end.astimezone(UTC) - timedelta(milliseconds=1)
                created = max(self.start - timedelta(days=20), start_utc - timedelta(days=10))
                self.objects["goal_targets"][gid] = Record(
                    id=gid,
                    properties={
                        "hs_goal_name": f"Revenue quota {start.strftime('%Y-%m')}",
                        "hs_goal_type": "sales_quota",
                        "hs_milestone": "quarterly" if (end - start).days > 40 else "monthly",
                        "hs_target_amount": f"{amount:.2f}",
                        "hs_start_datetime": iso(start_utc),
                        "hs_end_datetime": iso(end_utc),
                        "hs_assignee_user_id": str(rep.user_id),
                        "hs_createdate": iso(created),
                        "hs_lastmodifieddate": iso(created),
                        "hs_object_id": gid,
                    },
                    created_at=created,
                    updated_at=created,
                )
                self.events.append(
                    Event(
                        created,
                        "quota_set",
                        {
                            "owner_id": rep.owner_id,
                            "start": start_utc,
                            "end": end_utc,
                            "amount": amount,
                        },
                    )
                )

    def _same_team_rep(self, rep: Rep) -> Rep:
        mates = [r for r in self.reps if r.team_id == rep.team_id and r is not rep]
        return self.rng.choice(mates) if mates else rep

    def _build_deals(self) -> None:
        rng = self.rng
        span = (self.now - self.start).total_seconds()
        per_rep = int(self.preset.deals_per_rep_month * self.preset.months)
        for rep in self.reps:
            for _ in range(rng.randint(int(per_rep * 0.7), int(per_rep * 1.3))):
                created = self.start + timedelta(seconds=rng.uniform(0, span))
                self._build_deal(rep, created)

    def _build_deal(self, rep: Rep, created: datetime) -> None:
        rng = self.rng
        did = self._id()
        currency = rng.choices([c for c, _ in CURRENCY_WEIGHTS], [w for _, w in CURRENCY_WEIGHTS])[
            0
        ]
        amount = money(rng.lognormvariate(math.log(4000 * rep.size_mult), 0.6))
        expected_days = max(3.0, rng.gammavariate(3.0, 15.0) * rep.cycle_mult)
        expected_close = created + timedelta(days=expected_days)
        # Activity volume drives outcome: more meetings, better odds.
        counts = {
            "calls": _poisson(rng, 3.0 * rep.activity_mult),
            "emails": _poisson(rng, 4.0 * rep.activity_mult),
            "meetings": _poisson(rng, 1.5 * rep.activity_mult),
            "tasks": _poisson(rng, 2.0 * rep.activity_mult),
        }
        p_win = min(0.9, rep.win_skill + 0.07 * min(counts["meetings"], 4))
        won = rng.random() < p_win
        cycle_days = expected_days * rng.uniform(0.7, 1.4)
        close_ts = created + timedelta(days=cycle_days, seconds=rng.uniform(0, 3600))
        if won:
            path = [s for s in OPEN_STAGES if s == OPEN_STAGES[0] or rng.random() > 0.15]
            path.append("closedwon")
        else:
            path = OPEN_STAGES[: rng.randint(1, len(OPEN_STAGES))] + ["closedlost"]
        # Stage entry times: first at creation, the closed one at close_ts.
        times = [created]
        for k in range(1, len(path) - 1):
            frac = k / (len(path) - 1)
            times.append(created + (close_ts - created) * (frac * rng.uniform(0.8, 1.0)))
        times.append(close_ts)
        times = sorted(times)

        company = rng.choice(self.rep_companies[rep.owner_id])
        contacts = self.company_contacts[company]
        owner_changes: list[tuple[datetime, str]] = [(created, rep.owner_id)]
        if rng.random() < 0.05 and len(path) > 2:
            new_owner = self._same_team_rep(rep)
            owner_changes.append((created + (close_ts - created) * 0.5, new_owner.owner_id))
        amounts: list[tuple[datetime, Decimal]] = [(created, amount)]
        if rng.random() < 0.2:
            amounts.append(
                (
                    created + (close_ts - created) * 0.4,
                    money(amount * Decimal(str(rng.uniform(0.8, 1.2)))),
                )
            )
        closedates: list[tuple[datetime, datetime]] = [(created, expected_close)]
        closedates.append((close_ts, close_ts))

        # The CRM keeps only what happened up to its clock.
        rec_hist: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        rate = EXCHANGE_RATES[currency]
        for ts, value in amounts:
            if ts <= self.now:
                rec_hist["amount"].append((f"{value:.2f}", ts))
                rec_hist["amount_in_home_currency"].append((f"{money(value * rate):.2f}", ts))
                self._log(ts, "amount_changed", deal_id=did, amount=value, currency=currency)
        for ts, owner in owner_changes:
            if ts <= self.now:
                rec_hist["hubspot_owner_id"].append((owner, ts))
                self._log(ts, "owner_changed", deal_id=did, owner_id=owner)
        for ts, value in closedates:
            if ts <= self.now:
                rec_hist["closedate"].append((iso(value), ts))
        for ts, stage in zip(times, path, strict=True):
            if ts <= self.now:
                rec_hist["dealstage"].append((stage, ts))
                self._log(ts, "stage_changed", deal_id=did, stage=stage)
        rec_hist["deal_currency_code"].append((currency, created))
        rec_hist["pipeline"].append((PIPELINE_ID, created))
        self._log(created, "deal_created", deal_id=did, owner_id=rep.owner_id, currency=currency)

        current = {k: v[-1][0] for k, v in rec_hist.items()}
        stage = current["dealstage"]
        stage_meta = {s[0]: s for s in STAGES}[stage]
        last_change = max(ts for v in rec_hist.values() for _, ts in v)

        # Activities between creation and close (or the clock), by whoever owned the deal then.
        end = min(close_ts, self.now)
        for kind, n in counts.items():
            for _ in range(n):
                ts = created + (end - created) * rng.random()
                owner = [o for t, o in owner_changes if t <= ts][-1]
                self._activity(kind, ts, owner, deal_id=did)

        if created > self.now:
            return
        self.objects["deals"][did] = Record(
            id=did,
            properties={
                "dealname": f"{self.objects['companies'][company].properties['name']} – {did}",
                "amount": current["amount"],
                "amount_in_home_currency": current["amount_in_home_currency"],
                "deal_currency_code": currency,
                "dealstage": stage,
                "pipeline": PIPELINE_ID,
                "closedate": current["closedate"],
                "createdate": iso(created),
                "hubspot_owner_id": current["hubspot_owner_id"],
                "hs_is_closed": "true" if stage_meta[3] else "false",
                "hs_is_closed_won": "true" if stage == "closedwon" else "false",
                "hs_deal_stage_probability": stage_meta[2],
                "hs_lastmodifieddate": iso(last_change),
                "hs_object_id": did,
            },
            created_at=created,
            updated_at=last_change,
            history=dict(rec_hist),
            associations={"companies": [company], "contacts": list(contacts)},
        )

    def _activity(self, kind: str, ts: datetime, owner_id: str, deal_id: str | None) -> None:
        rng = self.rng
        aid = self._id()
        if ts > self.now:
            return
        props: dict[str, str | None] = {
            "hs_timestamp": iso(ts),
            "hubspot_owner_id": owner_id,
            "hs_createdate": iso(ts),
            "hs_lastmodifieddate": iso(ts),
            "hs_object_id": aid,
        }
        completed = True
        if kind == "calls":
            disposition = rng.choices(list(CALL_DISPOSITIONS), [0.5, 0.25, 0.2, 0.05])[0]
            props |= {
                "hs_call_title": "Zəng",
                "hs_call_direction": "OUTBOUND",
                "hs_call_disposition": CALL_DISPOSITIONS[disposition],
                "hs_call_duration": str(rng.randint(20, 1800) * 1000),
                "hs_call_status": "COMPLETED",
            }
        elif kind == "emails":
            props |= {
                "hs_email_subject": "Təklif barədə",
                "hs_email_direction": "EMAIL",
                "hs_email_status": "SENT",
            }
        elif kind == "meetings":
            props |= {
                "hs_meeting_title": "Görüş",
                "hs_meeting_start_time": iso(ts),
                "hs_meeting_end_time": iso(ts + timedelta(minutes=45)),
                "hs_meeting_outcome": "COMPLETED",
            }
        else:
            completed = rng.random() < 0.8
            props |= {
                "hs_task_subject": "Növbəti addım",
                "hs_task_status": "COMPLETED" if completed else "NOT_STARTED",
                "hs_task_type": rng.choice(["CALL", "EMAIL", "TODO"]),
                "hs_task_priority": rng.choice(["LOW", "MEDIUM", "HIGH"]),
            }
        self.objects[kind][aid] = Record(
            id=aid,
            properties=props,
            created_at=ts,
            updated_at=ts,
            associations={"deals": [deal_id]} if deal_id else {},
        )
        self._log(
            ts, "activity", activity_id=aid, type=kind, owner_id=owner_id, completed=completed
        )

    def _build_prospecting(self) -> None:
        """Calls and emails not tied to any deal (prospecting)."""
        span = (self.now - self.start).total_seconds()
        for rep in self.reps:
            n = int(self.preset.months * 4 * rep.activity_mult)
            for _ in range(n):
                ts = self.start + timedelta(seconds=self.rng.uniform(0, span))
                self._activity(self.rng.choice(["calls", "emails"]), ts, rep.owner_id, None)

    # ------------------------------------------------------------ ground truth
    def month_of(self, ts: datetime) -> str:
        return ts.astimezone(self.tz).strftime("%Y-%m")

    def ground_truth_rep_month(self) -> dict[tuple[str, str], dict]:
        """Rep x month KPIs computed from the event log (METRICS.md definitions)."""
        deal_owner: dict[str, str] = {}
        deal_amount: dict[str, tuple[Decimal, str]] = {}
        deal_close: dict[str, tuple[datetime, str, str]] = {}
        months: set[str] = set()
        activity_counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(("calls", "emails", "meetings", "tasks_completed"), 0)
        )
        quota_events = []
        closed = {s[0]: s[2] for s in STAGES if s[3]}
        for ev in self.events:
            d = ev.data
            if ev.kind == "deal_created":
                months.add(self.month_of(ev.ts))
            elif ev.kind == "owner_changed":
                deal_owner[d["deal_id"]] = d["owner_id"]
            elif ev.kind == "amount_changed":
                deal_amount[d["deal_id"]] = (d["amount"], d["currency"])
            elif ev.kind == "stage_changed":
                if d["stage"] in closed:
                    deal_close[d["deal_id"]] = (ev.ts, d["stage"], deal_owner[d["deal_id"]])
                    months.add(self.month_of(ev.ts))
                else:
                    deal_close.pop(d["deal_id"], None)
            elif ev.kind == "activity":
                months.add(self.month_of(ev.ts))
                key = (d["owner_id"], self.month_of(ev.ts))
                if d["type"] == "tasks":
                    activity_counts[key]["tasks_completed"] += int(d["completed"])
                else:
                    activity_counts[key][d["type"]] += 1
            elif ev.kind == "quota_set":
                quota_events.append(d)

        spine = _month_range(min(months), max(months))
        truth = {
            (rep.owner_id, m): {
                "won_deals": 0,
                "lost_deals": 0,
                "bookings": Decimal("0"),
                "quota": None,
                **dict.fromkeys(("calls", "emails", "meetings", "tasks_completed"), 0),
            }
            for rep in self.reps
            for m in spine
        }
        for deal_id, (ts, stage, owner) in deal_close.items():
            row = truth[(owner, self.month_of(ts))]
            if stage == "closedwon":
                value, currency = deal_amount[deal_id]
                row["won_deals"] += 1
                row["bookings"] += money(value * EXCHANGE_RATES[currency])
            else:
                row["lost_deals"] += 1
        for key, counts in activity_counts.items():
            truth[key].update(counts)
        for q in quota_events:
            for month, share in self._spread_by_day(q["start"], q["end"]):
                key = (q["owner_id"], month)
                if key in truth:
                    truth[key]["quota"] = (truth[key]["quota"] or Decimal(0)) + q["amount"] * share
        for row in truth.values():
            won, lost, bookings, quota = (
                row["won_deals"],
                row["lost_deals"],
                row["bookings"],
                row["quota"],
            )
            row["win_rate"] = won / (won + lost) if won + lost else None
            row["avg_deal_size"] = bookings / won if won else None
            row["quota_attainment"] = bookings / quota if quota else None
        return truth

    def _spread_by_day(self, start: datetime, end: datetime) -> list[tuple[str, Decimal]]:
        """Share of a target per local month, by whole local days it covers."""
        first = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        total = (last - first).days + 1
        per_month: dict[str, int] = defaultdict(int)
        day = first
        while day <= last:
            per_month[day.strftime("%Y-%m")] += 1
            day += timedelta(days=1)
        return [(m, Decimal(n) / Decimal(total)) for m, n in per_month.items()]


def _month_range(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
