"""A record as HubSpot renders it: default properties, property history, associations."""

from __future__ import annotations

from ingestion.sandbox.generator import iso
from ingestion.sandbox.tables import Record

SINGULAR = {
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "tasks": "task",
    "goal_targets": "goal_target",
    "feedback_submissions": "feedback_submission",
}
# What HubSpot returns when no `properties` parameter is given.
DEFAULT_PROPERTIES = {
    "companies": ["name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"],
    "contacts": [
        "firstname",
        "lastname",
        "email",
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
    ],
    "deals": [
        "dealname",
        "amount",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ],
    "goal_targets": ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
}
ENGAGEMENT_DEFAULTS = ["hs_timestamp", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"]


def serialize(
    object_type: str,
    rec: Record,
    properties: list[str] | None,
    with_history: list[str] | None = None,
    associations: list[str] | None = None,
) -> dict:
    defaults = DEFAULT_PROPERTIES.get(object_type, ENGAGEMENT_DEFAULTS)
    names = properties or defaults
    props = {n: rec.properties.get(n) for n in names if n in rec.properties or properties}
    for always in ("hs_object_id", "createdate", "hs_lastmodifieddate"):
        if always in rec.properties:
            props.setdefault(always, rec.properties[always])
    out: dict = {
        "id": rec.id,
        "properties": props,
        "createdAt": iso(rec.created_at),
        "updatedAt": iso(rec.updated_at),
        "archived": rec.archived,
    }
    if rec.archived:  # as HubSpot: when it was deleted (drift.archive_records stamps it)
        out["archivedAt"] = iso(rec.updated_at)
    if with_history:
        out["propertiesWithHistory"] = {
            name: [
                {
                    "value": value,
                    "timestamp": iso(ts),
                    "sourceType": "CRM_UI",
                    "sourceId": "userId:" + str(rec.properties.get("hubspot_owner_id", "")),
                }
                for value, ts in reversed(rec.history[name])
            ]
            for name in with_history
            if name in rec.history
        }
    if associations:
        assoc = {}
        for other in associations:
            ids = rec.associations.get(other)
            if ids:
                kind = f"{SINGULAR[object_type]}_to_{SINGULAR.get(other, other)}"
                assoc[other] = {"results": [{"id": i, "type": kind} for i in ids]}
        if assoc:
            out["associations"] = assoc
    return out
