"""Changes between two runs: custom properties that appear, records that get deleted or
merged.

`python -m ingestion.sandbox --custom-properties` adds, reproducibly from the seed, two
custom deal properties (HubSpot marks them `hubspotDefined: false`) and sets them on a
share of the deals, which, as in HubSpot, moves those deals' last-modified time to now.

`--archive-share 0.02` deletes (archives) that share of records (`archive_records`).

`--merge-share 0.02` merges that share of deals and contacts into another record of the
same owner (`merge_records`), as a user merging duplicates in HubSpot: the merged-away
record leaves every listing and search, the surviving record lists it in
`hs_merged_object_ids` and is modified now, and the engagements and feedback of the
merged-away deal are associated with the surviving one without being modified themselves
(an incremental extraction does not see them again). The event log is rewritten to match,
so the ground truth (truth.py) describes the CRM after the merges.

`--shared-reps 2` gives the first two reps a name and e-mail address that do not depend on
the seed (`share_reps`): two sandboxes with different seeds then have two reps in common,
as two CRM accounts of one company do (each account's own owner ids, the same people).
"""

from __future__ import annotations

import random

from ingestion.sandbox.generator import ACTIVITY_TYPES, Organisation, ascii_slug, iso
from ingestion.sandbox.tables import Record

CUSTOM_DEAL_PROPERTIES = {
    "sales_region": ["Abşeron", "Gəncə-Daşkəsən", "Lənkəran-Astara", "Şəki-Zaqatala"],
    "partner_channel": ["direct", "reseller", "marketplace"],
}


def add_custom_properties(org: Organisation, seed: int, share: float = 0.3) -> list[str]:
    """Returns the ids of the deals that got values. Each deal's draw is its own, so a
    later clock (more deals) gives the deals of an earlier one the same values."""
    changed = []
    for deal_id, deal in org.objects["deals"].items():
        rng = random.Random(f"{seed}:custom-properties:{deal_id}")
        if rng.random() >= share:
            continue
        for name, values in CUSTOM_DEAL_PROPERTIES.items():
            deal.properties[name] = rng.choice(values)
        deal.properties["hs_lastmodifieddate"] = iso(org.now)
        deal.updated_at = org.now
        changed.append(deal_id)
    org.custom_properties.setdefault("deals", set()).update(CUSTOM_DEAL_PROPERTIES)
    return changed


def archive_records(
    org: Organisation,
    seed: int,
    share: float = 0.02,
    object_types: tuple[str, ...] = ("deals", "calls", "emails", "meetings", "tasks", "contacts"),
) -> dict[str, list[str]]:
    """Delete (archive) a share of records, as a user deleting them in HubSpot: they leave
    the normal listing and appear under `archived=true`. Returns the archived ids."""
    rng = random.Random(f"{seed}:archive")
    archived: dict[str, list[str]] = {}
    for object_type in object_types:
        for record_id, record in org.objects[object_type].items():
            if rng.random() < share:
                record.archived = True
                record.updated_at = org.now
                if object_type == "deals":
                    org.removed_deals[record_id] = org.now
                archived.setdefault(object_type, []).append(record_id)
    return archived


# Where each mergeable object type keeps its last-modified time and what a record of it
# is grouped by to find duplicates (records merged together share these properties).
MERGE_MODIFIED_PROPERTY = {"deals": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
MERGE_GROUP_PROPERTIES = {
    "deals": ("hubspot_owner_id",),
    "contacts": ("hubspot_owner_id", "associatedcompanyid"),
}


def merge_records(
    org: Organisation,
    seed: int,
    share: float = 0.02,
    object_types: tuple[str, ...] = ("deals", "contacts"),
) -> dict[str, list[tuple[str, str]]]:
    """Merge pairs of records as a user merging duplicates in HubSpot, reproducibly from
    the seed: about `share` of each object type's records are merged away, each into
    another record of the same owner (contacts: same owner and company).

    The merged-away record (`merged_into` set) leaves every listing and search; the
    surviving record keeps its id and properties, gains the merged-away ids in
    `hs_merged_object_ids` (';'-separated, earlier merges kept) and the merged-away
    record's associations, and is modified now. Records associated with the merged-away
    one (engagements and feedback of a deal, deals of a contact) are associated with the
    survivor instead; their own last-modified time does not change.

    The event log is rewritten so that the ground truth describes the CRM after the
    merges: the merged-away record's own events are dropped and events that referred to
    it (activities and feedback of a deal) refer to the survivor.
    Returns (merged-away id, surviving id) pairs per object type.
    """
    rng = random.Random(f"{seed}:merge")
    known = {"deals": org.entities["deals"], "contacts": org.entities["contacts"]}
    merged: dict[str, list[tuple[str, str]]] = {}
    for object_type in object_types:
        records = org.objects[object_type]
        groups: dict[tuple, list[str]] = {}
        for record_id in known[object_type]:  # in id order
            record = records.get(record_id)
            if record is None or record.archived or record.merged_into is not None:
                continue
            key = tuple(record.properties.get(p) for p in MERGE_GROUP_PROPERTIES[object_type])
            if all(key):
                groups.setdefault(key, []).append(record_id)
        pairs = []
        for key in sorted(groups):
            ids = groups[key]
            rng.shuffle(ids)
            pairs.extend(zip(ids[0::2], ids[1::2], strict=False))
        rng.shuffle(pairs)
        count = round(share * sum(len(ids) for ids in groups.values()))
        for loser_id, winner_id in pairs[:count]:
            _merge(org, object_type, records[loser_id], records[winner_id])
            merged.setdefault(object_type, []).append((loser_id, winner_id))
        _move_associations(org, object_type, dict(merged.get(object_type, [])))
    _rewrite_events(org, merged)
    for loser_id, _ in merged.get("deals", []):
        org.removed_deals[loser_id] = org.now
    return merged


def _merge(org: Organisation, object_type: str, loser: Record, winner: Record) -> None:
    loser.merged_into = winner.id
    previous = winner.properties.get("hs_merged_object_ids") or ""
    carried = loser.properties.get("hs_merged_object_ids") or ""
    ids = [i for i in [*previous.split(";"), loser.id, *carried.split(";")] if i]
    winner.properties["hs_merged_object_ids"] = ";".join(dict.fromkeys(ids))
    winner.properties[MERGE_MODIFIED_PROPERTY[object_type]] = iso(org.now)
    winner.updated_at = org.now
    for other, ids in loser.associations.items():
        kept = winner.associations.setdefault(other, [])
        kept.extend(i for i in ids if i not in kept)


# Records whose associations with a merged-away record move to the survivor.
MERGE_LINKED_TYPES = {"deals": (*ACTIVITY_TYPES, "feedback_submissions"), "contacts": ("deals",)}


def _move_associations(org: Organisation, object_type: str, into: dict[str, str]) -> None:
    """Associations with a merged-away record point at the survivor; the associated
    records themselves are not modified (their updatedAt stays)."""
    if not into:
        return
    for linked_type in MERGE_LINKED_TYPES[object_type]:
        for record in org.objects[linked_type].values():
            ids = record.associations.get(object_type)
            if ids and any(i in into for i in ids):
                record.associations[object_type] = list(dict.fromkeys(into.get(i, i) for i in ids))


def _rewrite_events(org: Organisation, merged: dict[str, list[tuple[str, str]]]) -> None:
    deal_into = dict(merged.get("deals", []))
    gone_contacts = {loser for loser, _ in merged.get("contacts", [])}
    events = []
    for ev in org.events:
        data = ev.data
        if ev.kind in ("deal_created", "deal_property") and data["deal_id"] in deal_into:
            org.removed_deal_events.append(ev)
            continue
        if ev.kind == "lifecycle" and data["contact_id"] in gone_contacts:
            continue
        if ev.kind in ("activity", "feedback") and data.get("deal_id") in deal_into:
            ev.data = {**data, "deal_id": deal_into[data["deal_id"]]}
        events.append(ev)
    org.events[:] = events


SHARED_REPS = [
    ("Leyla", "Məmmədova"),
    ("Rauf", "Hüseynov"),
    ("Nigar", "Əliyeva"),
    ("Elvin", "Qasımov"),
]


def share_reps(org: Organisation, count: int) -> list[str]:
    """The first `count` reps get a name and e-mail address fixed for every seed (the rest of
    the organisation is untouched); returns their e-mail addresses."""
    if not 0 <= count <= len(SHARED_REPS):
        raise ValueError(f"--shared-reps: 0 to {len(SHARED_REPS)}")
    emails = []
    for rep, (first, last) in zip(org.reps[:count], SHARED_REPS, strict=False):
        rep.first_name, rep.last_name = first, last
        # Written as a person types it in each CRM: case and spaces may differ.
        rep.email = f"{ascii_slug(first).title()}.{ascii_slug(last)}@Satis.Example.az "
        emails.append(rep.email.strip().lower())
    return emails
