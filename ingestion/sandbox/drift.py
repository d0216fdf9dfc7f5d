"""Changes between two runs: custom properties that appear, records that get deleted.

`python -m ingestion.sandbox --custom-properties` adds, reproducibly from the seed, two
custom deal properties (HubSpot marks them `hubspotDefined: false`) and sets them on a
share of the deals, which, as in HubSpot, moves those deals' last-modified time to now.
"""

from __future__ import annotations

import random

from ingestion.sandbox.generator import Organisation, iso

CUSTOM_DEAL_PROPERTIES = {
    "sales_region": ["Abşeron", "Gəncə-Daşkəsən", "Lənkəran-Astara", "Şəki-Zaqatala"],
    "partner_channel": ["direct", "reseller", "marketplace"],
}


def add_custom_properties(org: Organisation, seed: int, share: float = 0.3) -> list[str]:
    """Returns the ids of the deals that got values."""
    rng = random.Random(f"{seed}:custom-properties")
    changed = []
    for deal_id, deal in org.objects["deals"].items():
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
                archived.setdefault(object_type, []).append(record_id)
    return archived
