"""Bad records the Salesforce sandbox can serve on request (`--bad-records`), and what the
warehouse must do with each.

Salesforce types every field, so the bad records of a Salesforce org are not malformed
values but records pointing at what the warehouse cannot resolve or use: an opportunity in
a stage that was removed from the stage list, a record owned by a user the integration
user cannot see, a negative amount, a survey score outside its scale. Next to them, records
that merely look unusual and are valid: an account name in several scripts with emoji, a
lead owned by a queue (no rep yet).

Each kind (except `mass_corruption`) adds *new* records, copies of picked real ones (same
owner, account, opportunity and stamps) with one thing changed, under ids above every
generated one: leaving a quarantined copy out drops nothing else, and an accepted one adds
nothing to a KPI, so the marts still equal the ground truth. `inject()` changes rendered
rows in place, reproducibly from a seed, and returns the ids it added per kind.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

from ingestion.sandbox.bad_records import AZERBAIJANI_TEXT, CJK_TEXT, EMOJI_TEXT
from ingestion.sandbox.salesforce.objects import KEY_PREFIXES, case_safe, record_id

COPY_BASE = 3_000_000_000  # copies are numbered from here (above every generated id)
REMOVED_STAGE = "Negotiation/Review"  # a stage value the org's stage list no longer has
MASS_CORRUPTION_SHARE = 0.30


@dataclass(frozen=True)
class Kind:
    name: str
    object_name: str
    description: str
    expected: str  # "quarantine:<reason>", "accepted" or "blocks_publish"


KINDS = (
    Kind("opportunity_unknown_stage", "Opportunity",
         f"an opportunity in stage {REMOVED_STAGE!r}, no longer in OpportunityStage",
         "quarantine:unknown_stage"),
    Kind("opportunity_owner_not_found", "Opportunity",
         "an opportunity owned by a user the integration user cannot see",
         "quarantine:owner_not_found"),
    Kind("opportunity_amount_negative", "Opportunity", "an opportunity of -1,500",
         "quarantine:amount_negative"),
    Kind("task_owner_not_found", "Task", "a call owned by a user the integration user cannot see",
         "quarantine:owner_not_found"),
    Kind("event_owner_not_found", "Event", "a meeting owned by an unknown user",
         "quarantine:owner_not_found"),
    Kind("lead_owner_not_found", "Lead", "a lead owned by an unknown user",
         "quarantine:owner_not_found"),
    Kind("quota_amount_negative", "ForecastingQuota", "a quota of -10,000",
         "quarantine:amount_negative"),
    Kind("survey_score_out_of_range", "SurveyQuestionResponse",
         "an NPS answer of 11 (the scale is 0-10)", "quarantine:score_out_of_range"),
    Kind("account_name_many_scripts", "Account",
         "an account named in Azerbaijani, Chinese, Japanese, Korean and emoji", "accepted"),
    Kind("lead_owned_by_queue", "Lead", "a lead owned by a queue (00G...): no rep yet",
         "accepted"),
    Kind("mass_corruption", "Opportunity",
         f"{MASS_CORRUPTION_SHARE:.0%} of opportunities in a removed stage: publish is blocked",
         "blocks_publish"),
)  # fmt: skip
BY_NAME = {k.name: k for k in KINDS}
SHORTCUTS = {
    "all-quarantine": [k.name for k in KINDS if k.expected.startswith("quarantine:")],
    "all-accepted": [k.name for k in KINDS if k.expected == "accepted"],
}
UNKNOWN_USER = record_id("User", 99_999_999)
QUEUE = case_safe("00G" + "5g" + "0000000001")
NAME = f"{AZERBAIJANI_TEXT} {CJK_TEXT} {EMOJI_TEXT}"


def resolve_kinds(text: str) -> list[Kind]:
    """`a,b,all-accepted` -> the kinds; ValueError naming an unknown one."""
    names: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part in SHORTCUTS:
            names += SHORTCUTS[part]
        elif part in BY_NAME:
            names.append(part)
        else:
            known = ", ".join([*SHORTCUTS, *BY_NAME])
            raise ValueError(f"unknown bad record kind {part!r}: use one of {known}")
    return [BY_NAME[n] for n in dict.fromkeys(names)]


def inject(rows: dict[str, list[dict]], kinds: list[Kind], seed: int) -> dict[str, list[str]]:
    """Add each kind's records to the rendered rows; returns the ids added (or broken) per kind."""
    rng = random.Random(f"{seed}:salesforce-bad-records")
    added: dict[str, list[str]] = {}
    for n, kind in enumerate(kinds, start=1):
        table = rows[kind.object_name]
        if kind.name == "mass_corruption":
            broken = rng.sample(table, int(len(table) * MASS_CORRUPTION_SHARE))
            for row in broken:
                row["StageName"] = REMOVED_STAGE
            added[kind.name] = [row["Id"] for row in broken]
            continue
        original = rng.choice(_candidates(table, kind))
        row = copy.deepcopy(original)
        row["Id"] = record_id(kind.object_name, COPY_BASE + n)
        _break(kind, row)
        table.append(row)
        added[kind.name] = [row["Id"]]
    return added


def _candidates(table: list[dict], kind: Kind) -> list[dict]:
    if kind.object_name == "Task":
        return [r for r in table if r["TaskSubtype"] == "Call"]
    if kind.object_name == "SurveyQuestionResponse":
        return [r for r in table if r["NumberValue"] is not None and r["NumberValue"] <= 10]
    return [r for r in table if not r.get("IsDeleted")]


def _break(kind: Kind, row: dict) -> None:
    change = {
        "opportunity_unknown_stage": {"StageName": REMOVED_STAGE},
        "opportunity_owner_not_found": {"OwnerId": UNKNOWN_USER},
        "opportunity_amount_negative": {"Amount": -1500},
        "task_owner_not_found": {"OwnerId": UNKNOWN_USER},
        "event_owner_not_found": {"OwnerId": UNKNOWN_USER},
        "lead_owner_not_found": {"OwnerId": UNKNOWN_USER},
        "quota_amount_negative": {"QuotaAmount": -10000},
        "survey_score_out_of_range": {"NumberValue": 11},
        "account_name_many_scripts": {"Name": NAME},
        "lead_owned_by_queue": {"OwnerId": QUEUE},
    }[kind.name]
    row.update(change)


assert set(KEY_PREFIXES) >= {k.object_name for k in KINDS}
