"""The HubSpot rendering of a generated organisation: its records as HubSpot's CRM v3 API
serves them. The organisation (generator.py) and its ground truth (truth.py) know no CRM;
this module alone names HubSpot's objects and properties, and turns values into the strings
HubSpot sends. A second CRM's sandbox renders the same organisation its own way.

The records it returns are what the HubSpot sandbox serves (server/), and what the
HubSpot-specific changes (drift.py, bad_records.py) act on.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from ingestion.sandbox.generator import STAGES, Organisation, iso
from ingestion.sandbox.tables import Entity, Record, RecordTable

# The organisation's kinds of record -> HubSpot's object types.
OBJECT_TYPES = {
    "companies": "companies",
    "contacts": "contacts",
    "deals": "deals",
    "calls": "calls",
    "emails": "emails",
    "meetings": "meetings",
    "tasks": "tasks",
    "quotas": "goal_targets",
    "feedback": "feedback_submissions",
}
# A deal's changing values -> HubSpot deal properties (with property history).
DEAL_PROPERTIES = {
    "stage": "dealstage",
    "expected_close": "closedate",
    "owner": "hubspot_owner_id",
    "amount": "amount",
    "amount_home": "amount_in_home_currency",
    "currency": "deal_currency_code",
    "pipeline": "pipeline",
    "forecast_category": "hs_manual_forecast_category",
}
# A deal's forecast category: the organisation's word -> HubSpot's option (label, value) of
# `hs_manual_forecast_category`, in HubSpot's order.
FORECAST_CATEGORIES = {
    "omit": ("Not forecasted", "OMIT"),
    "pipeline": ("Pipeline", "PIPELINE"),
    "best_case": ("Best case", "BEST_CASE"),
    "commit": ("Commit", "COMMIT"),
    "closed": ("Closed won", "CLOSED"),
}
# Values HubSpot writes its own way (the organisation's word -> HubSpot's).
DEAL_VALUES = {
    "forecast_category": {word: value for word, (_, value) in FORECAST_CATEGORIES.items()},
}
# A call's outcome -> HubSpot's default call disposition ids.
CALL_DISPOSITIONS = {
    "connected": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "no_answer": "73a0d17f-1163-4015-bdd5-ec830791da20",
    "left_voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "busy": "9d9162e7-6cf3-4944-bf63-4dff82258764",
}
STAGE_META = {s[0]: s for s in STAGES}


def render(org: Organisation) -> dict[str, RecordTable]:
    """Every record of the organisation, by HubSpot object type, in creation order; each
    rendered when it is read (tables.py)."""
    return {
        OBJECT_TYPES[kind]: RecordTable(entities, functools.partial(_record, org, kind))
        for kind, entities in org.entities.items()
    }


def _record(org: Organisation, kind: str, e: Entity) -> Record:
    properties = RENDERERS[kind](org, e)
    properties["hs_object_id"] = e.id
    return Record(
        id=e.id,
        properties=properties,
        created_at=e.created_at,
        updated_at=e.updated_at,
        history={
            DEAL_PROPERTIES[name]: [(_deal_value(name, v), ts) for v, ts in values]
            for name, values in e.history.items()
        },
        associations=dict(e.associations),
    )


def _company(org: Organisation, e: Entity) -> dict[str, str | None]:
    f = e.fields
    return {
        "name": f["name"],
        "domain": f["domain"],
        "city": f["city"],
        "industry": f["industry"],
        "hubspot_owner_id": f["owner"],
        "createdate": iso(e.created_at),
        "hs_lastmodifieddate": iso(e.created_at),
    }


def _contact(org: Organisation, e: Entity) -> dict[str, str | None]:
    f = e.fields
    props: dict[str, str | None] = {
        "firstname": f["first_name"],
        "lastname": f["last_name"],
        "email": f["email"],
        "lifecyclestage": f["stages_reached"][-1][0],
        "associatedcompanyid": f["company"],
        "hubspot_owner_id": f["owner"],
        "createdate": iso(e.created_at),
        "lastmodifieddate": iso(e.updated_at),
    }
    # HubSpot keeps the id last; the stage dates follow it.
    props["hs_object_id"] = e.id
    for stage, at in f["stages_reached"]:
        props[f"hs_lifecyclestage_{stage}_date"] = iso(at)
    return props


def _quota(org: Organisation, e: Entity) -> dict[str, str | None]:
    f = e.fields
    return {
        "hs_goal_name": f"Revenue quota {f['period_start'].strftime('%Y-%m')}",
        "hs_goal_type": "sales_quota",
        "hs_milestone": "quarterly" if f["quarterly"] else "monthly",
        "hs_target_amount": f"{f['amount']:.2f}",
        "hs_start_datetime": iso(f["start"]),
        "hs_end_datetime": iso(f["end"]),
        "hs_assignee_user_id": str(f["user_id"]),
        "hs_createdate": iso(e.created_at),
        "hs_lastmodifieddate": iso(e.created_at),
    }


def _deal(org: Organisation, e: Entity) -> dict[str, str | None]:
    f = e.fields
    current = f["current"]
    stage = current["stage"]
    meta = STAGE_META[stage]
    company = org.entities["companies"][f["company"]].fields["name"]
    return {
        "dealname": f"{company} – {e.id}",
        **{DEAL_PROPERTIES[name]: _deal_value(name, value) for name, value in current.items()},
        "createdate": iso(e.created_at),
        "hs_is_closed": "true" if meta[3] else "false",
        "hs_is_closed_won": "true" if stage == "closedwon" else "false",
        "hs_deal_stage_probability": meta[2],
        "hs_lastmodifieddate": iso(e.updated_at),
    }


def _deal_value(name: str, value: str) -> str:
    return DEAL_VALUES.get(name, {}).get(value, value)


def _feedback(org: Organisation, e: Entity) -> dict[str, str | None]:
    f = e.fields
    survey = f["survey"]
    return {
        "hs_survey_type": survey,
        "hs_survey_name": "Müştəri məmnuniyyəti" if survey == "CSAT" else "NPS sorğusu",
        "hs_value": str(f["score"]),
        "hs_submission_timestamp": iso(e.created_at),
        "hs_createdate": iso(e.created_at),
        "hs_lastmodifieddate": iso(e.created_at),
    }


def _activity(org: Organisation, e: Entity) -> dict[str, str | None]:
    f, ts = e.fields, e.created_at
    at = iso(ts)
    props: dict[str, str | None] = {
        "hs_timestamp": at,
        "hubspot_owner_id": f["owner"],
        "hs_createdate": at,
        "hs_lastmodifieddate": at,
        "hs_object_id": e.id,
    }
    kind = f["kind"]
    if kind == "calls":
        props |= {
            "hs_call_title": "Zəng",
            "hs_call_direction": "OUTBOUND",
            "hs_call_disposition": CALL_DISPOSITIONS[f["outcome"]],
            "hs_call_duration": str(f["duration_ms"]),
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
            "hs_meeting_start_time": at,
            "hs_meeting_end_time": iso(ts + timedelta(minutes=45)),
            "hs_meeting_outcome": "COMPLETED",
        }
    else:
        props |= {
            "hs_task_subject": "Növbəti addım",
            "hs_task_status": "COMPLETED" if f["completed"] else "NOT_STARTED",
            "hs_task_type": f["task_type"],
            "hs_task_priority": f["priority"],
        }
    return props


RENDERERS = {
    "companies": _company,
    "contacts": _contact,
    "deals": _deal,
    "calls": _activity,
    "emails": _activity,
    "meetings": _activity,
    "tasks": _activity,
    "quotas": _quota,
    "feedback": _feedback,
}
