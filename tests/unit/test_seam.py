"""The CRM seam (issue 12): marts read the CRM-neutral int_crm__* relations, never a CRM's own.

For every model under models/marts/ this lists the CRM-specific relations it reads
directly (stg_<crm>__*, int_<crm>__* other than int_crm__*, sources), from the dbt
manifest. STILL_TO_MOVE is the explicit allow-list of those not yet behind the seam: it can
only shrink (a read that is not in it fails; an entry no longer read fails too, so it is
removed when its model moves).
"""

from __future__ import annotations

import re

from orchestration.lib.catalog import load_manifest

CRM_SPECIFIC = re.compile(r"^(stg_[a-z0-9]+__|int_(?!crm__)[a-z0-9]+__)")

# The entities already behind the seam: no marts model may read these directly.
MOVED = {
    "stg_hubspot__owners",
    "stg_hubspot__owner_teams",
    "stg_hubspot__deal_pipeline_stages",
    "stg_hubspot__deal_pipelines",
}

STILL_TO_MOVE: dict[str, set[str]] = {
    "dim_date": {"stg_hubspot__deals", "stg_hubspot__goal_targets"},
    "fct_activities": {
        "stg_hubspot__calls",
        "stg_hubspot__emails",
        "stg_hubspot__extractions",
        "stg_hubspot__meetings",
        "stg_hubspot__tasks",
    },
    "fct_deals": {"stg_hubspot__deal_companies", "stg_hubspot__deals"},
    "fct_feedback": {"stg_hubspot__companies", "stg_hubspot__feedback_submissions"},
    "fct_leads": {"stg_hubspot__contacts"},
    # Edited by the stage-durations work (int_deal_stage_stays); moves to int_crm__pipeline_stages next.
    "mart_stage_funnel": {"stg_hubspot__deal_pipeline_stages"},
}


def crm_specific_reads() -> dict[str, set[str]]:
    """Per marts model, the CRM-specific relations it reads directly."""
    manifest = load_manifest()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    reads: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1:2] != ["marts"]:
            continue
        found = set()
        for parent_id in node["depends_on"]["nodes"]:
            parent = nodes[parent_id]
            if parent["resource_type"] == "source":
                found.add(f"source:{parent['source_name']}.{parent['name']}")
            elif CRM_SPECIFIC.match(parent["name"]):
                found.add(parent["name"])
        if found:
            reads[node["name"]] = found
    return reads


def test_pattern_tells_crm_specific_from_crm_neutral() -> None:
    assert CRM_SPECIFIC.match("stg_hubspot__owners")
    assert CRM_SPECIFIC.match("int_hubspot__reps")
    assert not CRM_SPECIFIC.match("int_crm__reps")
    assert not CRM_SPECIFIC.match("int_deal_closes")


def test_marts_models_are_found() -> None:
    reads = crm_specific_reads()
    # dim_reps, dim_teams read int_crm__reps only: they must not be listed
    assert "dim_reps" not in reads and "dim_teams" not in reads
    assert "fct_deals" in reads


def test_moved_entities_are_read_only_through_the_seam() -> None:
    offenders = {
        model: sorted(relations & MOVED - STILL_TO_MOVE.get(model, set()))
        for model, relations in crm_specific_reads().items()
    }
    assert {m: r for m, r in offenders.items() if r} == {}


def test_crm_specific_reads_only_shrink() -> None:
    reads = crm_specific_reads()
    print("CRM-specific relations still read by marts models:")
    for model, relations in sorted(reads.items()):
        print(f"  {model}: {', '.join(sorted(relations))}")
    new = {m: sorted(r - STILL_TO_MOVE.get(m, set())) for m, r in reads.items()}
    assert {m: r for m, r in new.items() if r} == {}, "not behind the seam and not allowed"
    gone = {m: sorted(r - reads.get(m, set())) for m, r in STILL_TO_MOVE.items()}
    assert {m: r for m, r in gone.items() if r} == {}, "moved: remove from STILL_TO_MOVE"
