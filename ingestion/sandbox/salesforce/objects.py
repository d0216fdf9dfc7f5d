"""The Salesforce rendering of a generated organisation: its records as the objects of a
Salesforce org (User, UserRole, OpportunityStage, Account, Opportunity, OpportunityHistory),
with 18-character record ids and Salesforce's field types. Like hubspot_records.py for
HubSpot, this module alone names Salesforce's objects and fields.

A row is a dict field -> Python value (str, bool, int, Decimal, date, datetime or None);
app.py writes them as Salesforce's JSON does (datetimes `2024-01-05T10:00:00.000+0000`,
dates `2024-01-05`, numbers as numbers).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ingestion.sandbox.generator import EXCHANGE_RATES, STAGES, Organisation

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
INSTANCE = "5g"  # the pod characters of every id, as in 0065g00000AbCdEAAV

# The Salesforce object -> its key prefix (the first three characters of its ids).
KEY_PREFIXES = {
    "User": "005",
    "UserRole": "00E",
    "OpportunityStage": "01J",
    "Account": "001",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Lead": "00Q",
    "Contact": "003",
    "Task": "00T",
    "Event": "00U",
    "ForecastingQuota": "0J9",
    "Period": "026",
    "CurrencyType": "02c",
    "DatedConversionRate": "04w",
    "OpportunityFieldHistory": "017",
    "LeadHistory": "017",
    "Survey": "0Kd",
    "SurveyQuestion": "0Kk",
    "SurveyInvitation": "0Ki",
    "SurveyResponse": "0Kj",
    "SurveyQuestionResponse": "0Kl",
    "SurveySubject": "0dF",
    "QueryLocator": "01g",  # a query's cursor (nextRecordsUrl), not an object
}
# The organisation's stages as Salesforce opportunity stages: (default forecast category, is
# won).
FORECAST = {
    "appointmentscheduled": ("pipeline", False),
    "qualifiedtobuy": ("pipeline", False),
    "presentationscheduled": ("best_case", False),
    "decisionmakerboughtin": ("best_case", False),
    "contractsent": ("commit", False),
    "closedwon": ("closed", True),
    "closedlost": ("omit", False),
}
# A deal's forecast category as its owner called it -> Opportunity.ForecastCategoryName (the
# picklist's labels) and OpportunityHistory.ForecastCategory (its API values).
FORECAST_CATEGORY = {
    "pipeline": ("Pipeline", "Pipeline"),
    "best_case": ("Best Case", "BestCase"),
    "commit": ("Commit", "Forecast"),
    "closed": ("Closed", "Closed"),
    "omit": ("Omitted", "Omitted"),
}
# A call's outcome -> Salesforce's CallDisposition text.
CALL_DISPOSITIONS = {
    "connected": "Connected",
    "no_answer": "No Answer",
    "left_voicemail": "Left Voicemail",
    "busy": "Busy",
}
# The lifecycle stage from which a contact is a converted lead (METRICS.md's lead conversion).
CONVERTED_AT = "opportunity"
# A lead's Status for the furthest lifecycle stage it reached before conversion (the org's
# Lead Status picklist; converted leads are "Closed - Converted"). Salesforce has no stage
# after conversion on a lead: a contact's later "customer" stage is not in the org.
LEAD_STATUSES = {
    "lead": "Open - Not Contacted",
    "marketingqualifiedlead": "Marketing Qualified",
    "salesqualifiedlead": "Sales Qualified",
}
CONVERTED_STATUS = "Closed - Converted"
MEETING_MINUTES = 45
STAGE_LABELS = {sid: label for sid, label, _, _ in STAGES}
PROBABILITY = {sid: Decimal(probability) * 100 for sid, _, probability, _ in STAGES}


def record_id(object_name: str, number: int) -> str:
    """An 18-character Salesforce id: key prefix, pod, the number in base 62, and the
    case-safe suffix."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return case_safe(KEY_PREFIXES[object_name] + INSTANCE + digits.rjust(10, "0"))


def case_safe(short: str) -> str:
    """The 18-character form of a 15-character id: per 5 characters, one more saying which
    of them are upper-case letters (so that ids differing only in case stay distinct)."""
    suffix = ""
    for block in range(3):
        chars = short[block * 5 : block * 5 + 5]
        bits = sum(1 << i for i, c in enumerate(chars) if "A" <= c <= "Z")
        suffix += SUFFIX[bits]
    return short + suffix


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Salesforce's field type: id, reference, string, picklist, boolean, ...
    reference_to: str | None = None  # the object(s) a reference points to, comma-separated
    nillable: bool = True
    custom: bool = False  # the org's own field (its name ends in __c)


# Every object's fields, in the order describe lists them (audit fields last).
AUDIT = [
    Field("CreatedDate", "datetime", nillable=False),
    Field("LastModifiedDate", "datetime", nillable=False),
    Field("SystemModstamp", "datetime", nillable=False),
]
FIELDS: dict[str, list[Field]] = {
    "User": [
        Field("Id", "id", nillable=False),
        Field("Username", "string", nillable=False),
        Field("FirstName", "string"),
        Field("LastName", "string", nillable=False),
        Field("Name", "string", nillable=False),
        Field("Email", "email", nillable=False),
        Field("UserRoleId", "reference", "UserRole"),
        Field("ManagerId", "reference", "User"),
        Field("IsActive", "boolean", nillable=False),
        *AUDIT,
    ],
    "UserRole": [
        Field("Id", "id", nillable=False),
        Field("Name", "string", nillable=False),
        Field("DeveloperName", "string", nillable=False),
        Field("ParentRoleId", "reference", "UserRole"),
        AUDIT[1],
        AUDIT[2],
    ],
    "OpportunityStage": [
        Field("Id", "id", nillable=False),
        Field("ApiName", "string", nillable=False),
        Field("MasterLabel", "string", nillable=False),
        Field("DefaultProbability", "percent"),
        Field("ForecastCategoryName", "picklist"),
        Field("IsActive", "boolean", nillable=False),
        Field("IsClosed", "boolean", nillable=False),
        Field("IsWon", "boolean", nillable=False),
        Field("SortOrder", "int"),
        *AUDIT,
    ],
    "Account": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("MasterRecordId", "reference", "Account"),
        Field("Name", "string", nillable=False),
        Field("Industry", "picklist"),
        Field("BillingCity", "string"),
        Field("Website", "url"),
        Field("OwnerId", "reference", "User", nillable=False),
        *AUDIT,
    ],
    "Opportunity": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("AccountId", "reference", "Account"),
        Field("Name", "string", nillable=False),
        Field("StageName", "picklist", nillable=False),
        Field("Amount", "currency"),
        Field("CurrencyIsoCode", "picklist", nillable=False),
        Field("Probability", "percent"),
        Field("CloseDate", "date", nillable=False),
        Field("IsClosed", "boolean", nillable=False),
        Field("IsWon", "boolean", nillable=False),
        Field("ForecastCategoryName", "picklist"),
        Field("OwnerId", "reference", "User", nillable=False),
        *AUDIT,
    ],
    "OpportunityHistory": [
        Field("Id", "id", nillable=False),
        Field("OpportunityId", "reference", "Opportunity", nillable=False),
        Field("StageName", "picklist", nillable=False),
        Field("Amount", "currency"),
        Field("CurrencyIsoCode", "picklist", nillable=False),
        Field("CloseDate", "date"),
        Field("Probability", "percent"),
        Field("ForecastCategory", "picklist"),
        Field("IsDeleted", "boolean", nillable=False),
        AUDIT[0],
        AUDIT[2],
    ],
}
FIELDS |= {
    "Lead": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("MasterRecordId", "reference", "Lead"),
        Field("FirstName", "string"),
        Field("LastName", "string", nillable=False),
        Field("Name", "string", nillable=False),
        Field("Email", "email"),
        Field("Company", "string", nillable=False),
        Field("Status", "picklist", nillable=False),
        Field("LeadSource", "picklist"),
        Field("OwnerId", "reference", "User", nillable=False),
        Field("IsConverted", "boolean", nillable=False),
        Field("ConvertedDate", "date"),
        Field("ConvertedAccountId", "reference", "Account"),
        Field("ConvertedContactId", "reference", "Contact"),
        Field("ConvertedOpportunityId", "reference", "Opportunity"),
        *AUDIT,
    ],
    "Contact": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("MasterRecordId", "reference", "Contact"),
        Field("AccountId", "reference", "Account"),
        Field("FirstName", "string"),
        Field("LastName", "string", nillable=False),
        Field("Name", "string", nillable=False),
        Field("Email", "email"),
        Field("OwnerId", "reference", "User", nillable=False),
        *AUDIT,
    ],
    "Task": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("Subject", "string"),
        Field("TaskSubtype", "picklist"),
        Field("Status", "picklist", nillable=False),
        Field("IsClosed", "boolean", nillable=False),
        Field("Priority", "picklist", nillable=False),
        Field("ActivityDate", "date"),
        Field("CompletedDateTime", "datetime"),
        Field("CallDisposition", "string"),
        Field("CallDurationInSeconds", "int"),
        Field("WhatId", "reference", "Opportunity"),
        Field("OwnerId", "reference", "User", nillable=False),
        *AUDIT,
    ],
    "Event": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("Subject", "string"),
        Field("StartDateTime", "datetime"),
        Field("EndDateTime", "datetime"),
        Field("ActivityDateTime", "datetime"),
        Field("ActivityDate", "date"),
        Field("DurationInMinutes", "int"),
        Field("WhatId", "reference", "Opportunity"),
        Field("OwnerId", "reference", "User", nillable=False),
        *AUDIT,
    ],
    "ForecastingQuota": [
        Field("Id", "id", nillable=False),
        Field("QuotaOwnerId", "reference", "User", nillable=False),
        Field("PeriodId", "reference", "Period"),
        Field("StartDate", "date", nillable=False),
        Field("QuotaAmount", "currency"),
        Field("CurrencyIsoCode", "picklist", nillable=False),
        Field("IsAmount", "boolean", nillable=False),
        *AUDIT,
    ],
    "Period": [
        Field("Id", "id", nillable=False),
        Field("Type", "picklist"),
        Field("StartDate", "date", nillable=False),
        Field("EndDate", "date", nillable=False),
        Field("Number", "int"),
        Field("IsForecastPeriod", "boolean", nillable=False),
        *AUDIT,
    ],
    "CurrencyType": [
        Field("Id", "id", nillable=False),
        Field("IsoCode", "picklist", nillable=False),
        Field("ConversionRate", "double", nillable=False),
        Field("DecimalPlaces", "int", nillable=False),
        Field("IsActive", "boolean", nillable=False),
        Field("IsCorporate", "boolean", nillable=False),
        *AUDIT,
    ],
    "DatedConversionRate": [
        Field("Id", "id", nillable=False),
        Field("IsoCode", "picklist", nillable=False),
        Field("ConversionRate", "double", nillable=False),
        Field("StartDate", "date", nillable=False),
        Field("NextStartDate", "date"),
        *AUDIT,
    ],
}
FIELDS["OpportunityFieldHistory"] = [  # no SystemModstamp: read by CreatedDate
    Field("Id", "id", nillable=False),
    Field("IsDeleted", "boolean", nillable=False),
    Field("OpportunityId", "reference", "Opportunity", nillable=False),
    Field("Field", "picklist", nillable=False),
    Field("DataType", "picklist"),
    Field("OldValue", "anyType"),
    Field("NewValue", "anyType"),
    AUDIT[0],
]
FIELDS["LeadHistory"] = [  # no SystemModstamp: read by CreatedDate
    Field("Id", "id", nillable=False),
    Field("IsDeleted", "boolean", nillable=False),
    Field("LeadId", "reference", "Lead", nillable=False),
    Field("Field", "picklist", nillable=False),
    Field("DataType", "picklist"),
    Field("OldValue", "anyType"),
    Field("NewValue", "anyType"),
    AUDIT[0],
]
# Salesforce Feedback Management: a survey per kind (CSAT, NPS) with its one question; per
# submission an invitation, a response, the answer (NumberValue: the score) and the subject
# it is about (SubjectId: the opportunity, or the account for NPS).
FIELDS |= {
    "Survey": [
        Field("Id", "id", nillable=False),
        Field("Name", "string", nillable=False),
        Field("DeveloperName", "string", nillable=False),
        *AUDIT,
    ],
    "SurveyQuestion": [
        Field("Id", "id", nillable=False),
        Field("SurveyId", "reference", "Survey", nillable=False),
        Field("Name", "string", nillable=False),
        Field("QuestionType", "picklist", nillable=False),
        *AUDIT,
    ],
    "SurveyInvitation": [
        Field("Id", "id", nillable=False),
        Field("SurveyId", "reference", "Survey", nillable=False),
        Field("Name", "string", nillable=False),
        Field("ResponseStatus", "picklist"),
        *AUDIT,
    ],
    "SurveyResponse": [
        Field("Id", "id", nillable=False),
        Field("SurveyId", "reference", "Survey", nillable=False),
        Field("InvitationId", "reference", "SurveyInvitation"),
        Field("Status", "picklist", nillable=False),
        Field("CompletionDateTime", "datetime"),
        *AUDIT,
    ],
    "SurveyQuestionResponse": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("ResponseId", "reference", "SurveyResponse", nillable=False),
        Field("QuestionId", "reference", "SurveyQuestion", nillable=False),
        Field("InvitationId", "reference", "SurveyInvitation"),
        Field("Datatype", "picklist"),
        Field("NumberValue", "int"),
        *AUDIT,
    ],
    "SurveySubject": [
        Field("Id", "id", nillable=False),
        Field("IsDeleted", "boolean", nillable=False),
        Field("ParentId", "reference", "SurveyInvitation", nillable=False),
        Field("SubjectId", "reference", "Account,Opportunity", nillable=False),  # either
        Field("SubjectEntityType", "picklist"),
        Field("SurveyInvitationId", "reference", "SurveyInvitation"),
        Field("SurveyResponseId", "reference", "SurveyResponse"),
        *AUDIT,
    ],
}
SURVEYS = {"CSAT": (1, "Müştəri məmnuniyyəti", "Rating"), "NPS": (2, "NPS sorğusu", "NPS")}
LABELS = {
    "Opportunity": "Opportunities",
    "OpportunityHistory": "Opportunity History",
    "OpportunityFieldHistory": "Opportunity Field History",
    "LeadHistory": "Lead History",
}
# The objects a user deletes (IsDeleted: listed by queryAll only).
DELETABLE = ("Account", "Opportunity", "Lead", "Contact", "Task", "Event")
# Field history objects: kept for --field-history-months only (Salesforce: 18 months).
HISTORY_OBJECTS = ("OpportunityFieldHistory", "LeadHistory")


def render(org: Organisation) -> dict[str, list[dict]]:
    """Every object's rows, in creation order."""
    rows: dict[str, list[dict]] = {
        "UserRole": list(_roles(org)),
        "User": list(_users(org)),
        "OpportunityStage": list(_stages(org)),
        "Account": list(_accounts(org)),
        "Opportunity": [],
        "OpportunityHistory": [],
    }
    rows["OpportunityFieldHistory"] = []
    for opportunity, history, owners in _opportunities(org):
        rows["Opportunity"].append(opportunity)
        rows["OpportunityHistory"] += history
        rows["OpportunityFieldHistory"] += owners
    rows["Lead"], rows["LeadHistory"] = [], []
    for lead, history in _leads(org):
        rows["Lead"].append(lead)
        rows["LeadHistory"] += history
    rows["Contact"] = list(_contacts(org))
    rows["Task"] = [t for kind in ("calls", "emails", "tasks") for t in _tasks(org, kind)]
    rows["Task"].sort(key=lambda t: t["Id"])
    rows["Event"] = list(_events(org))
    rows["Period"] = list(_periods(org))
    rows["ForecastingQuota"] = list(_quotas(org, rows["Period"]))
    rows["CurrencyType"], rows["DatedConversionRate"] = _currencies(org)
    rows |= _surveys(org)
    return rows


def _audit(created: datetime, modified: datetime | None = None) -> dict:
    modified = modified or created
    return {"CreatedDate": created, "LastModifiedDate": modified, "SystemModstamp": modified}


def _roles(org: Organisation) -> Iterator[dict]:
    for team_id, name in org.teams.items():
        yield {
            "Id": record_id("UserRole", int(team_id)),
            "Name": name,
            "DeveloperName": "Team_" + team_id,
            "ParentRoleId": None,
            "LastModifiedDate": org.start,
            "SystemModstamp": org.start,
        }


def user_id(org: Organisation, owner_id: str) -> str:
    return record_id("User", int(owner_id))


def _users(org: Organisation) -> Iterator[dict]:
    for rep in org.reps:
        yield {
            "Id": user_id(org, rep.owner_id),
            "Username": rep.email,
            "FirstName": rep.first_name,
            "LastName": rep.last_name,
            "Name": f"{rep.first_name} {rep.last_name}",
            "Email": rep.email,
            "UserRoleId": record_id("UserRole", int(rep.team_id)),
            "ManagerId": None,
            "IsActive": True,
            **_audit(org.start),
        }


def _stages(org: Organisation) -> Iterator[dict]:
    for order, (sid, label, _, closed) in enumerate(STAGES, start=1):
        category, won = FORECAST[sid]
        yield {
            "Id": record_id("OpportunityStage", order),
            "ApiName": label,
            "MasterLabel": label,
            "DefaultProbability": PROBABILITY[sid],
            "ForecastCategoryName": FORECAST_CATEGORY[category][0],
            "IsActive": True,
            "IsClosed": closed,
            "IsWon": won,
            "SortOrder": order,
            **_audit(org.start),
        }


def _accounts(org: Organisation) -> Iterator[dict]:
    for e in org.entities["companies"].values():
        f = e.fields
        yield {
            "Id": record_id("Account", int(e.id)),
            "IsDeleted": False,
            "MasterRecordId": None,
            "Name": f["name"],
            "Industry": f["industry"],
            "BillingCity": f["city"],
            "Website": f["domain"],
            "OwnerId": user_id(org, f["owner"]),
            **_audit(e.created_at),
        }


def _local_date(org: Organisation, value: str) -> date:
    return datetime.fromisoformat(value).astimezone(org.tz).date()


def _opportunities(org: Organisation) -> Iterator[tuple[dict, list[dict], list[dict]]]:
    """Each deal as an Opportunity, with its OpportunityHistory (a row whenever its stage,
    amount or close date changed, values as they were then) and OpportunityFieldHistory
    (its owner changes)."""
    companies = org.entities["companies"]
    for e in org.entities["deals"].values():
        current = e.fields["current"]
        oid = record_id("Opportunity", int(e.id))
        stage = current["stage"]
        default, won = FORECAST[stage]
        category = FORECAST_CATEGORY[current.get("forecast_category", default)][0]
        yield (
            {
                "Id": oid,
                "IsDeleted": False,
                "AccountId": record_id("Account", int(e.fields["company"])),
                "Name": f"{companies[e.fields['company']].fields['name']} – {e.id}",
                "StageName": STAGE_LABELS[stage],
                "Amount": Decimal(current["amount"]),
                "CurrencyIsoCode": current["currency"],
                "Probability": PROBABILITY[stage],
                "CloseDate": _local_date(org, current["expected_close"]),
                "IsClosed": stage in ("closedwon", "closedlost"),
                "IsWon": won,
                "ForecastCategoryName": category,
                "OwnerId": user_id(org, current["owner"]),
                **_audit(e.created_at, e.updated_at),
            },
            _history(org, oid, e.history, current["currency"], int(e.id)),
            _owner_changes(org, oid, e.history["owner"], int(e.id)),
        )


def _history(org: Organisation, oid: str, history: dict, currency: str, number: int) -> list[dict]:
    """A row whenever a tracked value (stage, amount, close date, forecast category)
    changes, with the values after the change; setting a value to what it already is adds
    no row, as in Salesforce."""
    tracked = ("stage", "amount", "expected_close", "forecast_category")
    changes = sorted({at for name in tracked for _, at in history.get(name, [])})
    rows: list[dict] = []
    for n, at in enumerate(changes):
        value = {
            name: [v for v, ts in history[name] if ts <= at][-1]
            for name in tracked
            if any(ts <= at for _, ts in history.get(name, []))
        }
        stage = value.get("stage")
        if stage is None:
            continue
        row = {
            "Id": record_id("OpportunityHistory", number * 1000 + n),
            "OpportunityId": oid,
            "StageName": STAGE_LABELS[stage],
            "Amount": Decimal(value["amount"]) if "amount" in value else None,
            "CurrencyIsoCode": currency,
            "CloseDate": _local_date(org, value["expected_close"])
            if "expected_close" in value
            else None,
            "Probability": PROBABILITY[stage],
            "ForecastCategory": FORECAST_CATEGORY[
                value.get("forecast_category", FORECAST[stage][0])
            ][1],
            "IsDeleted": False,
            "CreatedDate": at.astimezone(UTC),
            "SystemModstamp": at.astimezone(UTC),
        }
        same = ("StageName", "Amount", "CloseDate", "ForecastCategory")
        if rows and all(rows[-1][k] == row[k] for k in same):
            continue
        rows.append(row)
    return rows


def converted_at(stages_reached: list[tuple[str, datetime]]) -> datetime | None:
    """When a contact became a converted lead: reached CONVERTED_AT or a later stage."""
    order = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
    later = order[order.index(CONVERTED_AT) :]
    return next((at for stage, at in stages_reached if stage in later), None)


def _leads(org: Organisation) -> Iterator[tuple[dict, list[dict]]]:
    """Each contact as a Lead, with its LeadHistory: a `created` row, a Status change for
    each later stage it reached before conversion, and at conversion a `leadConverted` row
    and the change to the converted status (as Salesforce tracks a lead's Status)."""
    companies = org.entities["companies"]
    for e in org.entities["contacts"].values():
        f = e.fields
        converted = converted_at(f["stages_reached"])
        number = int(e.id)
        statuses = [(LEAD_STATUSES[s], at) for s, at in f["stages_reached"] if s in LEAD_STATUSES]
        if converted:
            statuses.append((CONVERTED_STATUS, converted))
        lid = record_id("Lead", number)
        history = [_lead_row(lid, number, 0, "created", None, None, e.created_at)]
        if converted:
            history.append(_lead_row(lid, number, 1, "leadConverted", None, None, converted))
        for n, ((old, _), (new, at)) in enumerate(
            zip(statuses, statuses[1:], strict=False), start=2
        ):
            history.append(_lead_row(lid, number, n, "Status", old, new, at))
        yield (
            {
                "Id": lid,
                "IsDeleted": False,
                "MasterRecordId": None,
                "FirstName": f["first_name"],
                "LastName": f["last_name"],
                "Name": f"{f['first_name']} {f['last_name']}",
                "Email": f["email"],
                "Company": companies[f["company"]].fields["name"],
                "Status": statuses[-1][0],
                "LeadSource": "Web",
                "OwnerId": user_id(org, f["owner"]),
                "IsConverted": converted is not None,
                "ConvertedDate": converted.astimezone(org.tz).date() if converted else None,
                "ConvertedAccountId": record_id("Account", int(f["company"]))
                if converted
                else None,
                "ConvertedContactId": record_id("Contact", number) if converted else None,
                "ConvertedOpportunityId": None,
                **_audit(e.created_at, e.updated_at),
            },
            history,
        )


def _lead_row(lid: str, number: int, n: int, field: str, old, new, at: datetime) -> dict:
    return {
        "Id": record_id("LeadHistory", number * 1000 + n),
        "IsDeleted": False,
        "LeadId": lid,
        "Field": field,
        "DataType": "Text" if field == "Status" else None,
        "OldValue": old,
        "NewValue": new,
        "CreatedDate": at.astimezone(UTC),
    }


def _contacts(org: Organisation) -> Iterator[dict]:
    """The contacts converted leads became (a Salesforce contact starts at conversion)."""
    for e in org.entities["contacts"].values():
        f = e.fields
        converted = converted_at(f["stages_reached"])
        if converted is None:
            continue
        yield {
            "Id": record_id("Contact", int(e.id)),
            "IsDeleted": False,
            "MasterRecordId": None,
            "AccountId": record_id("Account", int(f["company"])),
            "FirstName": f["first_name"],
            "LastName": f["last_name"],
            "Name": f"{f['first_name']} {f['last_name']}",
            "Email": f["email"],
            "OwnerId": user_id(org, f["owner"]),
            **_audit(converted, e.updated_at),
        }


def _what(e) -> str | None:
    deals = e.associations.get("deals")
    return record_id("Opportunity", int(deals[0])) if deals else None


def _tasks(org: Organisation, kind: str) -> Iterator[dict]:
    """Calls, e-mails and to-dos as Tasks (TaskSubtype Call, Email, Task)."""
    subtype = {"calls": "Call", "emails": "Email", "tasks": "Task"}[kind]
    for e in org.entities[kind].values():
        f, at = e.fields, e.created_at
        done = f.get("completed", True)
        yield {
            "Id": record_id("Task", int(e.id)),
            "IsDeleted": False,
            "Subject": {"Call": "Zəng", "Email": "Təklif barədə", "Task": "Növbəti addım"}[subtype],
            "TaskSubtype": subtype,
            "Status": "Completed" if done else "Not Started",
            "IsClosed": done,
            "Priority": {"HIGH": "High", "LOW": "Low"}.get(f.get("priority"), "Normal"),
            "ActivityDate": at.astimezone(org.tz).date(),
            "CompletedDateTime": at if done else None,
            "CallDisposition": CALL_DISPOSITIONS[f["outcome"]] if kind == "calls" else None,
            "CallDurationInSeconds": f["duration_ms"] // 1000 if kind == "calls" else None,
            "WhatId": _what(e),
            "OwnerId": user_id(org, f["owner"]),
            **_audit(at, e.updated_at),
        }


def _events(org: Organisation) -> Iterator[dict]:
    for e in org.entities["meetings"].values():
        at = e.created_at
        yield {
            "Id": record_id("Event", int(e.id)),
            "IsDeleted": False,
            "Subject": "Görüş",
            "StartDateTime": at,
            "EndDateTime": at + timedelta(minutes=MEETING_MINUTES),
            "ActivityDateTime": at,
            "ActivityDate": at.astimezone(org.tz).date(),
            "DurationInMinutes": MEETING_MINUTES,
            "WhatId": _what(e),
            "OwnerId": user_id(org, e.fields["owner"]),
            **_audit(at, e.updated_at),
        }


def _periods(org: Organisation) -> Iterator[dict]:
    """The org's fiscal periods (a calendar fiscal year): every month and quarter from the
    year its history starts to the year after the clock."""
    n = 0
    for year in range(org.start.year, org.now.year + 2):
        for kind, months in (("Month", 1), ("Quarter", 3)):
            for first in range(1, 13, months):
                n += 1
                start = date(year, first, 1)
                end = date(year + (first + months > 12), (first + months - 1) % 12 + 1, 1)
                yield {
                    "Id": record_id("Period", n),
                    "Type": kind,
                    "StartDate": start,
                    "EndDate": end - timedelta(days=1),
                    "Number": (first - 1) // months + 1,
                    "IsForecastPeriod": True,
                    **_audit(org.start),
                }


def _quotas(org: Organisation, periods: list[dict]) -> Iterator[dict]:
    """Revenue quotas, each for the fiscal period (month or quarter) it covers."""
    owners = {rep.user_id: rep.owner_id for rep in org.reps}
    period_of = {(p["Type"], p["StartDate"]): p["Id"] for p in periods}
    for e in org.entities["quotas"].values():
        f = e.fields
        start = f["period_start"].date()
        yield {
            "Id": record_id("ForecastingQuota", int(e.id)),
            "QuotaOwnerId": user_id(org, owners[f["user_id"]]),
            "PeriodId": period_of[("Quarter" if f["quarterly"] else "Month", start)],
            "StartDate": start,
            "QuotaAmount": f["amount"],
            "CurrencyIsoCode": org.home_currency,
            "IsAmount": True,
            **_audit(e.created_at),
        }


def _quarter(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def _quarter_start(quarter: int) -> date:
    return date(quarter // 4, quarter % 4 * 3 + 1, 1)


def _rate_quarters(org: Organisation) -> range:
    """The quarters the org keeps dated rates for: from its history's start to a year on."""
    return range(_quarter(org.start.date()), _quarter(org.now.date()) + 5)


def conversion_rate(org: Organisation, code: str, day: date) -> Decimal:
    """Units of `code` per one of the corporate (home) currency on `day`, as the org's dated
    rates say (advanced currency management): the generator's rate, moved by up to 3 % each
    quarter; before the first quarter the first quarter's, after the last the last's."""
    if code == org.home_currency:
        return Decimal(1)
    quarters = _rate_quarters(org)
    quarter = min(max(_quarter(day), quarters[0]), quarters[-1])
    drift = Decimal((quarter * 7919 + sum(map(ord, code)) * 31) % 61 - 30) / 1000
    base = EXCHANGE_RATES[org.home_currency] / EXCHANGE_RATES[code]
    return (base * (1 + drift)).quantize(Decimal("0.000001"))


def _currencies(org: Organisation) -> tuple[list[dict], list[dict]]:
    """The org's currencies, each as units per one of the corporate (home) currency: its
    rate today (CurrencyType) and its dated rates (DatedConversionRate: a first range from
    0001-01-01, then one per quarter, the last open to 9999-12-31)."""
    types, dated = [], []
    quarters = _rate_quarters(org)
    n = 0
    for code in sorted(EXCHANGE_RATES):
        types.append(
            {
                "Id": record_id("CurrencyType", len(types) + 1),
                "IsoCode": code,
                "ConversionRate": conversion_rate(org, code, org.now.date()),
                "DecimalPlaces": 2,
                "IsActive": True,
                "IsCorporate": code == org.home_currency,
                **_audit(org.start),
            }
        )
        starts = [date(1, 1, 1), *(_quarter_start(q) for q in quarters[1:])]
        ends = [*starts[1:], date(9999, 12, 31)]
        for start, end in zip(starts, ends, strict=True):
            n += 1
            dated.append(
                {
                    "Id": record_id("DatedConversionRate", n),
                    "IsoCode": code,
                    "ConversionRate": conversion_rate(
                        org, code, max(start, _quarter_start(quarters[0]))
                    ),
                    "StartDate": start,
                    "NextStartDate": end,
                    **_audit(org.start),
                }
            )
    return types, dated


def single_currency(org: Organisation, objects: dict[str, list[Field]], rows: dict) -> None:
    """The org without multiple currencies: no CurrencyIsoCode field, no CurrencyType nor
    DatedConversionRate, every amount in the corporate currency (converted as the org with
    them would, at the dated rate of the record's close date)."""
    for name in ("CurrencyType", "DatedConversionRate"):
        del objects[name]
    for name in list(objects):
        objects[name] = [f for f in objects[name] if f.name != "CurrencyIsoCode"]
    for name in ("Opportunity", "OpportunityHistory"):
        for row in rows[name]:
            if row["Amount"] is not None:
                rate = conversion_rate(
                    org, row["CurrencyIsoCode"], row["CloseDate"] or org.now.date()
                )
                row["Amount"] = (row["Amount"] / rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
            row["CurrencyIsoCode"] = org.home_currency


def _owner_changes(
    org: Organisation, oid: str, owners: list[tuple[str, datetime]], number: int
) -> list[dict]:
    """The owner's field history, as Salesforce tracks it: a `created` row, then per change
    two rows, the user ids (DataType EntityId) and the users' names (DataType Text)."""
    names = {rep.owner_id: f"{rep.first_name} {rep.last_name}" for rep in org.reps}
    rows = [_field_row(oid, number, 0, "created", None, None, None, owners[0][1])]
    for n, ((old, _), (new, at)) in enumerate(zip(owners, owners[1:], strict=False), start=1):
        ids = (user_id(org, old), user_id(org, new))
        rows.append(_field_row(oid, number, 2 * n - 1, "Owner", "EntityId", *ids, at))
        rows.append(_field_row(oid, number, 2 * n, "Owner", "Text", names[old], names[new], at))
    return rows


def _field_row(oid, number, n, field, data_type, old, new, at: datetime) -> dict:
    return {
        "Id": record_id("OpportunityFieldHistory", number * 1000 + n),
        "IsDeleted": False,
        "OpportunityId": oid,
        "Field": field,
        "DataType": data_type,
        "OldValue": old,
        "NewValue": new,
        "CreatedDate": at.astimezone(UTC),
    }


def delete_records(rows: dict[str, list[dict]], seed: int, share: float, now: datetime) -> int:
    """A user deletes that share of the deletable objects' records, each on a day drawn
    from its id (so the same records stay deleted as the clock moves): IsDeleted, and
    SystemModstamp moves to then, as in Salesforce. Returns how many are deleted by now."""
    deleted = 0
    for name in DELETABLE:
        for row in rows[name]:
            at = _user_acts(seed, "delete", row["Id"], row["CreatedDate"], share, now)
            if at is not None:
                row["IsDeleted"] = True
                row["LastModifiedDate"] = row["SystemModstamp"] = at
                deleted += 1
    return deleted


def _user_acts(
    seed: int, act: str, record: str, since: datetime, share: float, now: datetime
) -> datetime | None:
    """When a user does `act` to the record (that share of records, 1-60 days after
    `since`, drawn from the record's id so that it stays as the clock moves), or None if
    not (yet)."""
    rng = random.Random(f"{seed}:{act}:{record}")
    at = since + timedelta(days=rng.uniform(1, 60))
    return at if rng.random() < share and at <= now else None


def _surveys(org: Organisation) -> dict[str, list[dict]]:
    """The CSAT and NPS submissions as Feedback Management records (see FIELDS)."""
    rows: dict[str, list[dict]] = {name: [] for name in FIELDS if name.startswith("Survey")}
    for kind, (n, name, question_type) in SURVEYS.items():
        survey = record_id("Survey", n)
        rows["Survey"].append(
            {"Id": survey, "Name": name, "DeveloperName": kind + "_Survey", **_audit(org.start)}
        )
        rows["SurveyQuestion"].append(
            {
                "Id": record_id("SurveyQuestion", n),
                "SurveyId": survey,
                "Name": "Bizi tövsiyə edərdinizmi?" if kind == "NPS" else "Nə dərəcədə razısınız?",
                "QuestionType": question_type,
                **_audit(org.start),
            }
        )
    for e in org.entities["feedback"].values():
        kind, number, at = e.fields["survey"], int(e.id), e.created_at
        survey, question = (record_id(o, SURVEYS[kind][0]) for o in ("Survey", "SurveyQuestion"))
        invitation, response = (
            record_id("SurveyInvitation", number),
            record_id("SurveyResponse", number),
        )
        rows["SurveyInvitation"].append(
            {
                "Id": invitation,
                "SurveyId": survey,
                "Name": f"{kind} {e.id}",
                "ResponseStatus": "Completed",
                **_audit(at),
            }
        )
        rows["SurveyResponse"].append(
            {
                "Id": response,
                "SurveyId": survey,
                "InvitationId": invitation,
                "Status": "Completed",
                "CompletionDateTime": at,
                **_audit(at),
            }
        )
        rows["SurveyQuestionResponse"].append(
            {
                "Id": record_id("SurveyQuestionResponse", number),
                "IsDeleted": False,
                "ResponseId": response,
                "QuestionId": question,
                "InvitationId": invitation,
                "Datatype": "Number",
                "NumberValue": e.fields["score"],
                **_audit(at),
            }
        )
        deals = e.associations.get("deals")
        subject = (
            ("Opportunity", record_id("Opportunity", int(deals[0])))
            if deals
            else ("Account", record_id("Account", int(e.associations["companies"][0])))
        )
        rows["SurveySubject"].append(
            {
                "Id": record_id("SurveySubject", number),
                "IsDeleted": False,
                "ParentId": invitation,
                "SubjectId": subject[1],
                "SubjectEntityType": subject[0],
                "SurveyInvitationId": invitation,
                "SurveyResponseId": response,
                **_audit(at),
            }
        )
    return rows


def merge_records(rows: dict[str, list[dict]], seed: int, share: float, now: datetime) -> int:
    """Users merge that share of accounts and leads into another of the same owner, as
    Salesforce merges duplicates: the merged-away record is deleted (IsDeleted, listed by
    queryAll) with MasterRecordId naming the survivor; the survivor and, for an account,
    the opportunities moved to it are modified then. Each merge's day is drawn from the
    merged record's id, so merges stay as the clock moves. Returns how many were merged."""
    merged = 0
    for name in ("Account", "Lead"):
        by_owner: dict[str, list[dict]] = {}
        for row in rows[name]:
            if not row["IsDeleted"]:
                by_owner.setdefault(row["OwnerId"], []).append(row)
        moved: dict[str, tuple[str, datetime]] = {}
        for owned in by_owner.values():
            for loser, survivor in zip(owned[1::2], owned[::2], strict=False):
                since = max(loser["CreatedDate"], survivor["CreatedDate"])
                at = _user_acts(seed, "merge", loser["Id"], since, share, now)
                if at is None:
                    continue
                loser["IsDeleted"], loser["MasterRecordId"] = True, survivor["Id"]
                _modified(loser, at)
                _modified(survivor, at)
                moved[loser["Id"]] = (survivor["Id"], at)
                merged += 1
        if name == "Account":
            for opportunity in rows["Opportunity"]:
                if opportunity["AccountId"] in moved:
                    survivor, at = moved[opportunity["AccountId"]]
                    opportunity["AccountId"] = survivor
                    _modified(opportunity, at)
    return merged


def _modified(row: dict, at: datetime) -> None:
    """The record was changed at `at` (its modification stamps never go back)."""
    row["LastModifiedDate"] = row["SystemModstamp"] = max(at, row["SystemModstamp"])


# The org's own fields (`__c`) that --custom-fields adds to opportunities.
CUSTOM_FIELDS = {
    "Sales_Region__c": ["Abşeron", "Gəncə-Daşkəsən", "Lənkəran-Astara", "Şəki-Zaqatala"],
    "Partner_Channel__c": ["Direct", "Reseller", "Marketplace"],
}


def add_custom_fields(
    objects: dict[str, list[Field]], rows: dict[str, list[dict]], seed: int, share: float = 0.3
) -> None:
    """Custom picklist fields on Opportunity: described (custom: true), and set on that share
    of opportunities (null on the others, as a field added later is)."""
    objects["Opportunity"] = objects["Opportunity"] + [
        Field(name, "picklist", custom=True) for name in CUSTOM_FIELDS
    ]
    for row in rows["Opportunity"]:
        rng = random.Random(f"{seed}:custom:{row['Id']}")
        chosen = rng.random() < share
        for name, values in CUSTOM_FIELDS.items():
            row[name] = rng.choice(values) if chosen else None
