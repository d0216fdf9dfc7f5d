"""Bad records the sandbox can serve on request, and what the warehouse must do with each.

Real CRMs send records a warehouse cannot use (no id, an id served twice with different
content, an amount that is not a number, an unknown stage, an owner who does not exist,
a date nobody can parse) next to records that merely look unusual but are valid (very
long or non-Latin text, emoji, a property nobody asked for, a number where a string was
expected, dates in epoch milliseconds). `BAD_RECORD_KINDS` lists both, with the outcome
the warehouse must reach:

- ``quarantine:<reason>``: the record lands in ``quarantine.quarantined_records`` with
  that reason and is left out of the marts; the run still succeeds;
- ``accepted``: the record is valid and reaches the marts unchanged;
- ``blocks_publish``: so many records are broken that the share of quarantined records
  exceeds QUARANTINE_MAX_SHARE: the run fails and nothing is published.

`inject()` changes a generated `Organisation` in place, reproducibly from a seed, and
returns the ids it affected per kind. It is only ever called when asked for
(`python -m ingestion.sandbox --bad-records ...`): the default organisation stays clean.

Every bad record except `mass_corruption` is a *new* record, a copy of a randomly picked
real one (same owner, company, deal and timestamps) with one thing changed, so that its
associations are valid and leaving it out drops nothing else. The copies sit under
numeric keys above every generated id, so the server pages them after the clean records;
a copy that keeps an existing id (a conflicting duplicate) is therefore served after its
first copy, and a record without an id is still reachable by its key.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.tables import Record

QUARANTINE_REASONS = (
    "missing_id",
    "duplicate_id_conflict",
    "duplicate_id_kpi_conflict",
    "amount_not_numeric",
    "amount_negative",
    "unknown_pipeline",
    "unknown_stage",
    "missing_owner",
    "owner_not_found",
    "unparseable_date",
    "score_out_of_range",
)
ACCEPTED, BLOCKS_PUBLISH = "accepted", "blocks_publish"
# Reasons whose record keeps no usable id of its own in the marts: a record without an id,
# and a later conflicting copy of an id whose first copy is valid and kept.
KEYLESS_REASONS = ("missing_id", "duplicate_id_conflict")
MASS_CORRUPTION_SHARE = 0.30
UNKNOWN_OWNER_ID = "99999999"

# Text that is valid and must reach the marts byte for byte.
AZERBAIJANI_TEXT = "Ağdam çörək zavodu – Şəki, Gəncə, Göygöl: ƏĞIİÖŞÜÇ əğıiöşüç"
CYRILLIC_TEXT = "Поставка оборудования — Баку, ООО «Каспий»"
ARABIC_TEXT = "صفقة توريد المعدات إلى باكو"
CJK_TEXT = "巴库设备供应合同 · バクー設備契約 · 바쿠 장비 계약"
EMOJI_TEXT = "🚀 Böyük sövdələşmə 💰 🇦🇿 👩🏽‍💻 ✅"
OTHER_SCRIPTS_TEXT = "კმაყოფილების კვლევა · ग्राहक संतुष्टि सर्वेक्षण · סקר שביעות רצון"
LONG_TEXT_LENGTH = 5000


def long_text(length: int = LONG_TEXT_LENGTH) -> str:
    """A deal name of exactly `length` characters, mixing Latin and Azerbaijani letters."""
    unit = "Uzun sövdələşmə adı (Şəki–Gəncə) "
    return (unit * (length // len(unit) + 1))[:length]


@dataclass(frozen=True)
class BadRecordKind:
    """One kind of bad (or merely unusual) record and what the warehouse must do with it."""

    name: str
    object_type: str
    description: str
    expected: str  # "quarantine:<reason>", "accepted" or "blocks_publish"
    # The property whose served value this kind changes (None: the id, or extra properties).
    changed_property: str | None = None
    # For blocks_publish: the reason each broken record is quarantined for.
    blocking_reason: str | None = None
    # Quarantine rows per affected id (2: both copies of a conflicting duplicate).
    quarantined_copies: int = 1

    def __post_init__(self) -> None:
        if self.expected.startswith("quarantine:"):
            assert self.expected.split(":", 1)[1] in QUARANTINE_REASONS, self.expected
        elif self.expected == BLOCKS_PUBLISH:
            assert self.blocking_reason in QUARANTINE_REASONS, self.name
        else:
            assert self.expected == ACCEPTED, self.expected

    @property
    def reason(self) -> str | None:
        """The quarantine reason of the records this kind breaks (None when accepted)."""
        if self.expected.startswith("quarantine:"):
            return self.expected.split(":", 1)[1]
        return self.blocking_reason

    @property
    def outcome(self) -> str:
        """ "quarantine", "accepted" or "blocks_publish"."""
        return self.expected.split(":", 1)[0]


def _q(reason: str) -> str:
    return f"quarantine:{reason}"


BAD_RECORD_KINDS: tuple[BadRecordKind, ...] = (
    # --------------------------------------------------------------- keys
    BadRecordKind(
        "deal_missing_id", "deals",
        "a deal served with \"id\": null (and hs_object_id null)", _q("missing_id"),
    ),
    BadRecordKind(
        "call_empty_id", "calls",
        "a call served with \"id\": \"\" (and hs_object_id null)", _q("missing_id"),
    ),
    BadRecordKind(
        "deal_duplicate_id_conflict", "deals",
        "an existing deal id served a second time, later in the extraction, with a "
        "different amount and name", _q("duplicate_id_conflict"), "amount",
    ),
    BadRecordKind(
        "deal_duplicate_kpi_conflict", "deals",
        "an existing deal id served a second time with another stage, owner and home-currency "
        "amount: which copy is right cannot be known, so both are quarantined",
        _q("duplicate_id_kpi_conflict"), "dealstage", quarantined_copies=2,
    ),
    BadRecordKind(
        "email_duplicate_id_conflict", "emails",
        "an existing email id served a second time, later in the extraction, with a "
        "different subject", _q("duplicate_id_conflict"), "hs_email_subject",
    ),
    # ------------------------------------------------------------ amounts
    BadRecordKind(
        "deal_amount_not_numeric", "deals",
        "deal amount \"1 500,00 ₼\" (text, not a number)", _q("amount_not_numeric"), "amount",
    ),
    BadRecordKind(
        "deal_amount_negative", "deals",
        "deal amount and home-currency amount below zero", _q("amount_negative"), "amount",
    ),
    BadRecordKind(
        "goal_target_amount_not_numeric", "goal_targets",
        "quota hs_target_amount \"twelve thousand\"", _q("amount_not_numeric"),
        "hs_target_amount",
    ),
    BadRecordKind(
        "goal_target_amount_negative", "goal_targets",
        "quota hs_target_amount below zero", _q("amount_negative"), "hs_target_amount",
    ),
    # --------------------------------------------------- pipeline and stage
    BadRecordKind(
        "deal_unknown_pipeline", "deals",
        "a deal in pipeline \"partners\", which the pipelines endpoint does not list",
        _q("unknown_pipeline"), "pipeline",
    ),
    BadRecordKind(
        "deal_unknown_stage", "deals",
        "a deal in stage \"negotiation\", not a stage of its pipeline", _q("unknown_stage"),
        "dealstage",
    ),
    # ------------------------------------------------------------- owners
    BadRecordKind(
        "deal_missing_owner", "deals",
        "a deal with hubspot_owner_id null", _q("missing_owner"), "hubspot_owner_id",
    ),
    BadRecordKind(
        "call_missing_owner", "calls",
        "a call with hubspot_owner_id \"\"", _q("missing_owner"), "hubspot_owner_id",
    ),
    BadRecordKind(
        "task_missing_owner", "tasks",
        "a task with hubspot_owner_id null", _q("missing_owner"), "hubspot_owner_id",
    ),
    BadRecordKind(
        "deal_owner_not_found", "deals",
        f"a deal owned by {UNKNOWN_OWNER_ID}, not among the owners", _q("owner_not_found"),
        "hubspot_owner_id",
    ),
    BadRecordKind(
        "meeting_owner_not_found", "meetings",
        f"a meeting owned by {UNKNOWN_OWNER_ID}, not among the owners", _q("owner_not_found"),
        "hubspot_owner_id",
    ),
    BadRecordKind(
        "contact_owner_not_found", "contacts",
        f"a contact owned by {UNKNOWN_OWNER_ID}, not among the owners", _q("owner_not_found"),
        "hubspot_owner_id",
    ),
    # -------------------------------------------------------------- dates
    BadRecordKind(
        "deal_unparseable_createdate", "deals",
        "deal createdate \"31/12/2025 10:00\"", _q("unparseable_date"), "createdate",
    ),
    BadRecordKind(
        "deal_unparseable_closedate", "deals",
        "deal closedate \"next quarter\"", _q("unparseable_date"), "closedate",
    ),
    BadRecordKind(
        "email_unparseable_timestamp", "emails",
        "email hs_timestamp \"2025-13-45T25:61:00Z\"", _q("unparseable_date"), "hs_timestamp",
    ),
    BadRecordKind(
        "contact_unparseable_createdate", "contacts",
        "contact createdate \"yesterday\"", _q("unparseable_date"), "createdate",
    ),
    BadRecordKind(
        "feedback_unparseable_timestamp", "feedback_submissions",
        "feedback hs_submission_timestamp \"15.03.2025\"", _q("unparseable_date"),
        "hs_submission_timestamp",
    ),
    BadRecordKind(
        "goal_target_unparseable_start", "goal_targets",
        "quota hs_start_datetime \"Q1 2025\"", _q("unparseable_date"), "hs_start_datetime",
    ),
    # ------------------------------------------------------------- scores
    BadRecordKind(
        "feedback_csat_out_of_range", "feedback_submissions",
        "a CSAT answer of 6 (CSAT is 1..5)", _q("score_out_of_range"), "hs_value",
    ),
    BadRecordKind(
        "feedback_nps_out_of_range", "feedback_submissions",
        "an NPS answer of 11 (NPS is 0..10)", _q("score_out_of_range"), "hs_value",
    ),
    # ------------------------------------------- valid, however unusual
    BadRecordKind(
        "deal_very_long_name", "deals",
        f"a {LONG_TEXT_LENGTH:,}-character deal name", ACCEPTED, "dealname",
    ),
    BadRecordKind(
        "deal_azerbaijani_name", "deals",
        "a deal name using every Azerbaijani letter (ə ğ ı İ ö ş ü ç)", ACCEPTED, "dealname",
    ),
    BadRecordKind(
        "deal_cyrillic_name", "deals", "a deal name in Cyrillic", ACCEPTED, "dealname",
    ),
    BadRecordKind(
        "deal_arabic_name", "deals", "a deal name in Arabic (right to left)", ACCEPTED,
        "dealname",
    ),
    BadRecordKind(
        "deal_cjk_name", "deals", "a deal name in Chinese, Japanese and Korean", ACCEPTED,
        "dealname",
    ),
    BadRecordKind(
        "deal_emoji_name", "deals",
        "a deal name with emoji, a flag and a skin-tone ZWJ sequence", ACCEPTED, "dealname",
    ),
    BadRecordKind(
        "feedback_other_scripts_survey_name", "feedback_submissions",
        "a survey name in Georgian, Devanagari and Hebrew", ACCEPTED, "hs_survey_name",
    ),
    BadRecordKind(
        "deal_unknown_properties", "deals",
        "a deal carrying new custom properties the connector does not request", ACCEPTED,
    ),
    BadRecordKind(
        "deal_amount_json_number", "deals",
        "amount and home-currency amount served as the JSON number 1500.0, not \"1500.00\"",
        ACCEPTED, "amount",
    ),
    BadRecordKind(
        "deal_dates_epoch_ms", "deals",
        "deal createdate and closedate as epoch-millisecond strings", ACCEPTED, "createdate",
    ),
    BadRecordKind(
        "call_timestamp_epoch_ms", "calls",
        "call hs_timestamp as an epoch-millisecond string", ACCEPTED, "hs_timestamp",
    ),
    BadRecordKind(
        "contact_createdate_epoch_ms", "contacts",
        "contact createdate as an epoch-millisecond string", ACCEPTED, "createdate",
    ),
    # ----------------------------------------------------- blocks publish
    BadRecordKind(
        "mass_corruption", "deals",
        f"{MASS_CORRUPTION_SHARE:.0%} of the existing deals moved to the unknown stage "
        "\"negotiation\"", BLOCKS_PUBLISH, "dealstage", blocking_reason="unknown_stage",
    ),
)  # fmt: skip
KINDS: dict[str, BadRecordKind] = {k.name: k for k in BAD_RECORD_KINDS}

# Shortcuts for --bad-records.
SHORTCUTS: dict[str, list[str]] = {
    "all-accepted": [k.name for k in BAD_RECORD_KINDS if k.outcome == ACCEPTED],
    "all-quarantine": [k.name for k in BAD_RECORD_KINDS if k.outcome == "quarantine"],
    "all-non-blocking": [k.name for k in BAD_RECORD_KINDS if k.outcome != BLOCKS_PUBLISH],
    "all": [k.name for k in BAD_RECORD_KINDS],
}


def resolve_kinds(spec: str | list[str]) -> list[str]:
    """Kind names from a comma-separated list of kinds and shortcuts, in catalog order."""
    parts = spec.split(",") if isinstance(spec, str) else spec
    wanted: set[str] = set()
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if part in SHORTCUTS:
            wanted.update(SHORTCUTS[part])
        elif part in KINDS:
            wanted.add(part)
        else:
            raise ValueError(
                f"unknown bad-record kind {part!r}: use one of {', '.join(SHORTCUTS)} "
                f"or {', '.join(KINDS)}"
            )
    return [k.name for k in BAD_RECORD_KINDS if k.name in wanted]


def missing_id_marker(kind: str, key: str) -> str:
    """Text written into a record without an id, so that it can be found in quarantine."""
    return f"bad-record:{kind}:{key}"


def epoch_ms(iso_text: str) -> str:
    """An ISO-8601 timestamp as the epoch-millisecond string HubSpot also sends."""
    ts = datetime.fromisoformat(iso_text.replace("Z", "+00:00"))
    return str(round(ts.astimezone(UTC).timestamp() * 1000))


# ------------------------------------------------------------------ injection
class _Injector:
    """Applies kinds to one organisation; every pick comes from a per-kind seeded RNG."""

    # Synthetic keys are allocated in blocks per kind, above every generated id.
    BLOCK = 1000

    def __init__(self, org: Organisation, seed: int):
        self.org = org
        self.seed = seed
        top = max(int(key) for records in org.objects.values() for key in records)
        self.base = (top // self.BLOCK + 1) * self.BLOCK
        # The clean records, snapshotted before anything is injected.
        self.originals: dict[str, list[Record]] = {
            t: sorted(
                (r for r in records.values() if r.id and not r.archived), key=lambda r: int(r.id)
            )
            for t, records in org.objects.items()
        }
        # Originals that bad records copy, so that mass corruption leaves them alone.
        self.sources: dict[str, set[str]] = {t: set() for t in org.objects}
        self.kind: BadRecordKind | None = None
        self.rng = random.Random(seed)
        self.next_key = self.base

    def start(self, kind: BadRecordKind) -> None:
        self.kind = kind
        # Picks of one kind do not depend on which other kinds are injected.
        self.rng = random.Random(f"{self.seed}:{kind.name}")
        self.next_key = self.base + self.BLOCK * list(KINDS).index(kind.name)

    def pick(self, object_type: str, where: Callable[[Record], bool] | None = None) -> Record:
        candidates = [r for r in self.originals[object_type] if where is None or where(r)]
        rec = self.rng.choice(candidates)
        self.sources[object_type].add(rec.id)
        return rec

    def add_copy(self, object_type: str, template: Record) -> tuple[str, Record]:
        """A new record copied from template under a fresh key, which is also its id."""
        key = str(self.next_key)
        self.next_key += 1
        rec = copy.deepcopy(template)
        rec.id = key
        rec.properties["hs_object_id"] = key
        self.org.objects[object_type][key] = rec
        return key, rec

    def copy_of(self, object_type: str, where: Callable[[Record], bool] | None = None) -> Record:
        """A new valid-looking record of object_type (a copy of a random real one)."""
        _, rec = self.add_copy(object_type, self.pick(object_type, where))
        return rec


def _set(rec: Record, name: str, value: object, history_value: str | None = None) -> None:
    """Set a served property, and its latest history entry so that both agree."""
    rec.properties[name] = value  # type: ignore[assignment]
    changes = rec.history.get(name)
    if changes:
        if history_value is None:
            history_value = "" if value is None else str(value)
        changes[-1] = (history_value, changes[-1][1])


def _negate(amount: str | None) -> str:
    return "-" + (amount or "1000.00").lstrip("-")


def _csat(rec: Record) -> bool:
    return rec.properties.get("hs_survey_type") == "CSAT"


def _nps(rec: Record) -> bool:
    return rec.properties.get("hs_survey_type") == "NPS"


Applier = Callable[[_Injector], list[str]]
_APPLIERS: dict[str, Applier] = {}


def _applies(name: str) -> Callable[[Applier], Applier]:
    def register(fn: Applier) -> Applier:
        assert name in KINDS, name
        _APPLIERS[name] = fn
        return fn

    return register


def _one(object_type: str, changes: dict[str, object], where=None) -> Applier:
    """An applier making one new record of object_type with the given property values."""

    def apply(inj: _Injector) -> list[str]:
        rec = inj.copy_of(object_type, where)
        for name, value in changes.items():
            _set(rec, name, value)
        return [rec.id]

    return apply


def _missing_id(object_type: str, empty: str | None, text_property: str) -> Applier:
    def apply(inj: _Injector) -> list[str]:
        assert inj.kind is not None
        key, rec = inj.add_copy(object_type, inj.pick(object_type))
        rec.id = empty  # type: ignore[assignment]
        rec.properties["hs_object_id"] = None
        rec.properties[text_property] = missing_id_marker(inj.kind.name, key)
        return [key]

    return apply


_APPLIERS["deal_missing_id"] = _missing_id("deals", None, "dealname")
_APPLIERS["call_empty_id"] = _missing_id("calls", "", "hs_call_title")


@_applies("deal_duplicate_id_conflict")
def _deal_duplicate(inj: _Injector) -> list[str]:
    first = inj.pick("deals")
    _, again = inj.add_copy("deals", first)
    again.id = again.properties["hs_object_id"] = first.id
    amount = f"{float(first.properties['amount'] or 0) * 2 + 1:.2f}"
    _set(again, "amount", amount)
    _set(again, "dealname", f"{first.properties['dealname']} (ikinci nüsxə)")
    return [first.id]


@_applies("deal_duplicate_kpi_conflict")
def _deal_kpi_duplicate(inj: _Injector) -> list[str]:
    first = inj.pick("deals", lambda r: r.properties["dealstage"] != "closedwon")
    _, again = inj.add_copy("deals", first)
    again.id = again.properties["hs_object_id"] = first.id
    _set(again, "dealstage", "closedwon")
    owners = sorted({r.owner_id for r in inj.org.reps} - {first.properties["hubspot_owner_id"]})
    _set(again, "hubspot_owner_id", owners[0])
    home = float(first.properties["amount_in_home_currency"] or 0)
    _set(again, "amount_in_home_currency", f"{home * 3 + 7:.2f}")
    return [first.id]


@_applies("email_duplicate_id_conflict")
def _email_duplicate(inj: _Injector) -> list[str]:
    first = inj.pick("emails")
    _, again = inj.add_copy("emails", first)
    again.id = again.properties["hs_object_id"] = first.id
    _set(again, "hs_email_subject", "Re: Təklif barədə (yenidən göndərildi)")
    return [first.id]


_APPLIERS["deal_amount_not_numeric"] = _one("deals", {"amount": "1 500,00 ₼"})


@_applies("deal_amount_negative")
def _deal_amount_negative(inj: _Injector) -> list[str]:
    rec = inj.copy_of("deals")
    _set(rec, "amount", _negate(rec.properties.get("amount")))
    _set(rec, "amount_in_home_currency", _negate(rec.properties.get("amount_in_home_currency")))
    return [rec.id]


_APPLIERS["goal_target_amount_not_numeric"] = _one(
    "goal_targets", {"hs_target_amount": "twelve thousand"}
)


@_applies("goal_target_amount_negative")
def _goal_negative(inj: _Injector) -> list[str]:
    rec = inj.copy_of("goal_targets")
    _set(rec, "hs_target_amount", _negate(rec.properties.get("hs_target_amount")))
    return [rec.id]


_APPLIERS["deal_unknown_pipeline"] = _one("deals", {"pipeline": "partners"})
_APPLIERS["deal_unknown_stage"] = _one("deals", {"dealstage": "negotiation"})
_APPLIERS["deal_missing_owner"] = _one("deals", {"hubspot_owner_id": None})
_APPLIERS["call_missing_owner"] = _one("calls", {"hubspot_owner_id": ""})
_APPLIERS["task_missing_owner"] = _one("tasks", {"hubspot_owner_id": None})
_APPLIERS["deal_owner_not_found"] = _one("deals", {"hubspot_owner_id": UNKNOWN_OWNER_ID})
_APPLIERS["meeting_owner_not_found"] = _one("meetings", {"hubspot_owner_id": UNKNOWN_OWNER_ID})
_APPLIERS["contact_owner_not_found"] = _one("contacts", {"hubspot_owner_id": UNKNOWN_OWNER_ID})
_APPLIERS["deal_unparseable_createdate"] = _one("deals", {"createdate": "31/12/2025 10:00"})
_APPLIERS["deal_unparseable_closedate"] = _one("deals", {"closedate": "next quarter"})
_APPLIERS["email_unparseable_timestamp"] = _one("emails", {"hs_timestamp": "2025-13-45T25:61:00Z"})
_APPLIERS["contact_unparseable_createdate"] = _one("contacts", {"createdate": "yesterday"})
_APPLIERS["feedback_unparseable_timestamp"] = _one(
    "feedback_submissions", {"hs_submission_timestamp": "15.03.2025"}
)
_APPLIERS["goal_target_unparseable_start"] = _one("goal_targets", {"hs_start_datetime": "Q1 2025"})
_APPLIERS["feedback_csat_out_of_range"] = _one("feedback_submissions", {"hs_value": "6"}, _csat)
_APPLIERS["feedback_nps_out_of_range"] = _one("feedback_submissions", {"hs_value": "11"}, _nps)

_APPLIERS["deal_very_long_name"] = _one("deals", {"dealname": long_text()})
_APPLIERS["deal_azerbaijani_name"] = _one("deals", {"dealname": AZERBAIJANI_TEXT})
_APPLIERS["deal_cyrillic_name"] = _one("deals", {"dealname": CYRILLIC_TEXT})
_APPLIERS["deal_arabic_name"] = _one("deals", {"dealname": ARABIC_TEXT})
_APPLIERS["deal_cjk_name"] = _one("deals", {"dealname": CJK_TEXT})
_APPLIERS["deal_emoji_name"] = _one("deals", {"dealname": EMOJI_TEXT})
_APPLIERS["feedback_other_scripts_survey_name"] = _one(
    "feedback_submissions", {"hs_survey_name": OTHER_SCRIPTS_TEXT}
)
_APPLIERS["deal_unknown_properties"] = _one(
    "deals",
    {
        "x_loyalty_tier": "qızıl",
        "hs_new_field_2027": "🆕 yeni xüsusiyyət",
        "custom_score": "87.5",
    },
)


@_applies("deal_amount_json_number")
def _deal_json_number(inj: _Injector) -> list[str]:
    rec = inj.copy_of("deals")
    # In the home currency, so that both amounts are the same number.
    _set(rec, "deal_currency_code", inj.org.home_currency)
    _set(rec, "amount", 1500.0, history_value="1500.00")
    _set(rec, "amount_in_home_currency", 1500.0, history_value="1500.00")
    return [rec.id]


@_applies("deal_dates_epoch_ms")
def _deal_epoch_ms(inj: _Injector) -> list[str]:
    rec = inj.copy_of("deals", lambda r: bool(r.properties.get("closedate")))
    for name in ("createdate", "closedate"):
        _set(rec, name, epoch_ms(str(rec.properties[name])))
    return [rec.id]


@_applies("call_timestamp_epoch_ms")
def _call_epoch_ms(inj: _Injector) -> list[str]:
    rec = inj.copy_of("calls")
    _set(rec, "hs_timestamp", epoch_ms(str(rec.properties["hs_timestamp"])))
    return [rec.id]


@_applies("contact_createdate_epoch_ms")
def _contact_epoch_ms(inj: _Injector) -> list[str]:
    rec = inj.copy_of("contacts")
    _set(rec, "createdate", epoch_ms(str(rec.properties["createdate"])))
    return [rec.id]


@_applies("mass_corruption")
def _mass_corruption(inj: _Injector) -> list[str]:
    deals = [r for r in inj.originals["deals"] if r.id not in inj.sources["deals"]]
    n = round(len(inj.originals["deals"]) * MASS_CORRUPTION_SHARE)
    hit = inj.rng.sample(deals, min(n, len(deals)))
    for rec in hit:
        _set(rec, "dealstage", "negotiation")
    return sorted((r.id for r in hit), key=int)


assert set(_APPLIERS) == set(KINDS), set(KINDS) ^ set(_APPLIERS)


def inject(org: Organisation, kinds: list[str], seed: int) -> dict[str, list[str]]:
    """Add the given kinds of bad records to org, reproducibly from seed.

    Returns, per kind, the ids it affected: the new record's id; the id served twice for
    a duplicate; the synthetic key (see `missing_id_marker`) for a record without an id;
    the corrupted deals for mass corruption. Kinds are applied in catalog order.
    """
    inj = _Injector(org, seed)
    affected: dict[str, list[str]] = {}
    for name in resolve_kinds(list(kinds)):
        inj.start(KINDS[name])
        affected[name] = _APPLIERS[name](inj)
    return affected


# ---------------------------------------------------------------- ground truth
def expected_quarantine(affected: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """object type -> {record id: reason} of the records the warehouse must quarantine.

    Records without an id are left out (they have no id to look for; find them by
    `missing_id_marker`); a conflicting duplicate is listed under the id served twice.
    """
    out: dict[str, dict[str, str]] = {}
    for name, ids in affected.items():
        kind = KINDS[name]
        if kind.reason is None or kind.reason == "missing_id":
            continue
        for record_id in ids:
            out.setdefault(kind.object_type, {})[record_id] = kind.reason
    return out


def expected_valid_ids(org: Organisation, affected: dict[str, list[str]]) -> dict[str, set[str]]:
    """object type -> every id that must reach the marts after injection.

    All served ids minus the quarantined records; the id of a conflicting duplicate stays,
    since its first copy is valid and kept.
    """
    excluded: dict[str, set[str]] = {}
    for object_type, reasons in expected_quarantine(affected).items():
        excluded[object_type] = {i for i, r in reasons.items() if r not in KEYLESS_REASONS}
    return {
        object_type: {
            r.id
            for r in records.values()
            if r.id and not r.archived and r.id not in excluded.get(object_type, set())
        }
        for object_type, records in org.objects.items()
    }
