"""The CRM seam (issue 12): core reads the CRM-neutral int_crm__* relations, never a CRM's own.

Every intermediate, core and mart model, and every SQL the rep pages and the Python checks
run, is checked: none may name a CRM-specific relation (a CRM's staging models stg_<crm>__*,
its adapter models int_<crm>__*, its quarantine models, or a raw table). Only the union
models (models/crm/) read the adapters, and only a CRM's own folder (models/staging/<crm>/)
reads its raw tables.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.lib.catalog import load_manifest

ROOT = Path(__file__).resolve().parents[2]

CRM_SPECIFIC = re.compile(r"^(stg_[a-z0-9]+__|int_(?!crm__)[a-z0-9]+__|quarantine_)")

# Folders of models/ that make up the CRM-neutral core.
CORE_FOLDERS = {"intermediate", "marts"}

# Python that queries the warehouse as a user of the core: the rep pages and the checks.
PYTHON_READERS = [
    *sorted((ROOT / "orchestration" / "reports").glob("*.py")),
    *sorted((ROOT / "expectations").glob("*.py")),
    ROOT / "orchestration" / "defs" / "freshness.py",
    ROOT / "orchestration" / "defs" / "quality.py",
    ROOT / "orchestration" / "defs" / "reports.py",
]
# A relation named in SQL or an asset key: stg_x__y, int_x__y (not int_crm__), a raw table,
# a CRM's quarantine model.
NAMED_CRM_RELATION = re.compile(
    r"\b(stg_[a-z0-9]+__\w+|int_(?!crm__)[a-z0-9]+__\w+|raw_[a-z0-9]+\.\w+|quarantine\.quarantine_\w+)"
)


def crm_specific_reads() -> dict[str, set[str]]:
    """Per core model, the CRM-specific relations it reads directly (from the dbt manifest)."""
    manifest = load_manifest()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    reads: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1] not in CORE_FOLDERS:
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
    assert CRM_SPECIFIC.match("quarantine_deals")
    assert not CRM_SPECIFIC.match("int_crm__reps")
    assert not CRM_SPECIFIC.match("int_deal_closes")
    assert not CRM_SPECIFIC.match("quarantined_records")


def test_core_models_are_all_checked() -> None:
    manifest = load_manifest()
    core = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["fqn"][1] in CORE_FOLDERS
    }
    assert {"fct_deals", "fct_activities", "dim_date", "int_deal_stage_stays"} <= core
    assert {"mart_stage_funnel", "int_merges_resolved", "int_data_as_of"} <= core


def test_core_models_read_only_the_seam() -> None:
    assert crm_specific_reads() == {}


def test_the_pattern_finds_a_crm_relation_in_sql() -> None:
    sql = (
        "select * from staging.stg_hubspot__deals join raw_hubspot.extractions using (x) "
        "where x not in (select loaded_id from quarantine.quarantine_deals)"
    )
    assert NAMED_CRM_RELATION.findall(sql) == [
        "stg_hubspot__deals",
        "raw_hubspot.extractions",
        "quarantine.quarantine_deals",
    ]
    assert NAMED_CRM_RELATION.findall("from intermediate.int_crm__deal_history") == []


def test_pages_and_checks_name_no_crm_relation() -> None:
    assert all(path.exists() for path in PYTHON_READERS)
    named = {
        str(path.relative_to(ROOT)): sorted(set(NAMED_CRM_RELATION.findall(path.read_text())))
        for path in PYTHON_READERS
    }
    assert {path: found for path, found in named.items() if found} == {}


def test_the_sandbox_organisation_and_its_truth_know_no_crm() -> None:
    """The generated organisation and its truth are in their own words; HubSpot's names are
    in its rendering only: a Salesforce or Pipedrive rendering of the same organisation is
    judged by the same truth."""
    from ingestion.sandbox.hubspot_records import DEAL_PROPERTIES

    crm_names = {v for k, v in DEAL_PROPERTIES.items() if k != v}
    crm_names |= {"goal_targets", "feedback_submissions", "hs_", "properties"}
    for module in ("truth.py", "generator.py"):
        source = (ROOT / "ingestion" / "sandbox" / module).read_text()
        named = {
            n for n in crm_names if f'"{n}' in source or f"[{n}" in source or f".{n}[" in source
        }
        assert named == set(), (module, named)
    # The records as HubSpot serves them are its rendering, not the organisation's own.
    assert '"hubspot_owner_id"' in (ROOT / "ingestion/sandbox/hubspot_records.py").read_text()
