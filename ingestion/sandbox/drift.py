"""Schema drift: custom properties that appear in the CRM between two runs.

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
