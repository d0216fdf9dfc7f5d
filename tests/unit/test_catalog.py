"""Lists written once: every mart in dbt is watched for freshness, audited before publish
and published; every quarantine model is in quarantined_records and the share check. The
dbt model files on disk are the reference, so a stale manifest fails here too."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.definitions import defs
from orchestration.defs import freshness, quality
from orchestration.lib import catalog
from orchestration.lib.manifest import manifest_path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models"
PUBLISH = dg.AssetKey(["publish", "serving_duckdb"])
STALE = "the manifest is stale: run `cd dbt_project && ../.venv/bin/dbt parse`"


def _files(folder: Path, pattern: str) -> set[str]:
    return {p.stem for p in folder.glob(pattern)}


def test_every_mart_is_watched_for_freshness_audited_and_published():
    files = _files(MODELS / "marts" / "performance", "*.sql")
    marts = {m.name: m for m in catalog.marts()}
    assert set(marts) == files, STALE
    assert "mart_rep_scorecard_wide" in marts  # the one freshness.py used to miss
    graph = defs.resolve_asset_graph()
    fresh = {k.asset_key for k in graph.asset_check_keys if k.name == "fresh"}
    audited = graph.get(PUBLISH).parent_keys
    served = {m.key for m in catalog.served_models()}
    for mart in marts.values():
        assert mart.key == dg.AssetKey(["marts", mart.name])
        assert mart.key in fresh, f"{mart.name} is not watched for freshness"
        assert mart.key in audited, f"publish does not wait for {mart.name}"
        assert mart.key in served, f"{mart.name} is not marked served"
        assert mart.schema in catalog.served_schemas(), f"{mart.name} is not published"


def test_served_schemas_hold_only_served_models():
    # serving.duckdb copies whole schemas: a model in one of them is published either way.
    assert catalog.served_schemas() == ("core", "marts", "quarantine")
    manifest = catalog.load_manifest()
    in_served_schemas = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] in catalog.served_schemas()
    }
    assert in_served_schemas == {m.name for m in catalog.served_models()}
    assert {"dim_reps", "fct_deals", "quarantined_records", "quarantine_deals"} <= (
        in_served_schemas
    )


def test_freshness_watches_the_daily_raw_tables_and_every_mart():
    raw = {k.to_user_string() for k in freshness.NEWEST_CHANGE_SQL if k.path[0] == "raw_hubspot"}
    assert raw == {
        f"raw_hubspot/{t}" for t in ("deals", "contacts", "calls", "emails", "meetings", "tasks")
    }
    deals = freshness.NEWEST_CHANGE_SQL[dg.AssetKey(["raw_hubspot", "deals"])]
    assert deals == (
        "select max(updated_at) from raw_hubspot.deals where not coalesce(archived, false)"
    )
    marts = {k for k in freshness.NEWEST_CHANGE_SQL if k.path[0] == "marts"}
    assert marts == {m.key for m in catalog.marts()} and len(marts) == 15


def test_every_quarantine_model_is_in_the_union_and_the_share_check():
    # Each CRM's quarantine models live in its folder: models/staging/<crm>/quarantine/,
    # and are built when a connection of that CRM is configured (the default: HubSpot).
    files = _files(MODELS / "staging", "hubspot/quarantine/quarantine_*.sql")
    manifest = catalog.load_manifest()
    in_manifest = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["name"].startswith("quarantine_")
    }
    assert in_manifest == files, STALE
    covered = {o.model: o for o in quality.QUARANTINED}
    assert set(covered) == files, f"not in the share check: {sorted(files - set(covered))}"
    assert len(covered) == 8
    for o in covered.values():
        assert o.model == f"quarantine_{o.object_type}"
        assert o.records == f"raw_hubspot.{o.object_type}"
    assert quality.QUARANTINE == dg.AssetKey(["quarantine", "quarantined_records"])
    # Every CRM at once: every quarantine model is in the union, each with its raw table.
    every = catalog.load_manifest(manifest_path(["hubspot", "salesforce"]))
    objects = {o.model: o for o in catalog.quarantined_objects(every)}
    assert set(objects) == _files(MODELS / "staging", "*/quarantine/quarantine_*.sql"), STALE
    salesforce = _files(MODELS / "staging", "salesforce/quarantine/quarantine_*.sql")
    assert len(salesforce) == 6
    for name in salesforce:
        o = objects[name]
        assert o.records == f"raw_salesforce.{o.object_type}"
        assert o.deleted_column == (None if o.object_type == "forecasting_quota" else "is_deleted")


def test_a_new_mart_or_object_type_in_dbt_reaches_every_list():
    """Adding dbt models is enough: no Python list to edit."""
    manifest = copy.deepcopy(catalog.load_manifest())
    nodes, sources = manifest["nodes"], manifest["sources"]
    mart = copy.deepcopy(nodes["model.crm_warehouse.mart_stage_funnel"])
    mart.update(
        name="mart_win_loss", unique_id="model.crm_warehouse.mart_win_loss", alias="mart_win_loss"
    )
    mart["fqn"] = [*mart["fqn"][:-1], "mart_win_loss"]
    nodes[mart["unique_id"]] = mart
    source = copy.deepcopy(sources["source.crm_warehouse.raw_hubspot.calls"])
    source.update(
        name="notes", identifier="notes", unique_id="source.crm_warehouse.raw_hubspot.notes"
    )
    source["meta"] = source["config"]["meta"] = {"dagster": {"asset_key": ["raw_hubspot", "notes"]}}
    sources[source["unique_id"]] = source
    model = copy.deepcopy(nodes["model.crm_warehouse.quarantine_calls"])
    model.update(name="quarantine_notes", unique_id="model.crm_warehouse.quarantine_notes")
    model["depends_on"] = {"macros": [], "nodes": [source["unique_id"]]}
    nodes[model["unique_id"]] = model
    nodes["model.crm_warehouse.quarantined_records"]["depends_on"]["nodes"].append(
        model["unique_id"]
    )

    key = dg.AssetKey(["marts", "mart_win_loss"])
    assert key in freshness.newest_change_queries(manifest)
    assert key in {m.key for m in catalog.served_models(manifest)}
    assert dg.AssetKey(["raw_hubspot", "notes"]) in freshness.newest_change_queries(manifest)
    [notes] = [o for o in catalog.quarantined_objects(manifest) if o.object_type == "notes"]
    assert notes.records == "raw_hubspot.notes"
    assert "from raw_hubspot.notes where" in quality.loaded_records_sql([notes])


def test_share_check_counts_every_object_type_against_its_raw_table(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema raw_hubspot")
    con.execute("create schema quarantine")
    for o in quality.QUARANTINED:
        # 100 live records per type, plus 50 deleted ones that do not count.
        con.execute(
            f"create table {o.records} as select i::varchar as id, i >= 100 as archived "
            "from range(150) t(i)"
        )
    con.execute(
        "create table quarantine.quarantined_records as "
        "select 'hubspot' as crm_source, 'deals' as object_type, i::varchar as loaded_id, "
        "'missing_owner' as reason from range(3) t(i) "
        "union all select 'hubspot', 'calls', '1', 'unparseable_date'"
    )
    con.close()
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("QUARANTINE_MAX_SHARE", "0.02")

    result = quality.quarantine_share_within_threshold()

    assert not result.passed
    assert result.description == "deals: 3.0% quarantined (limit 2.0%)"
    by_object = result.metadata["by_object"].value
    assert by_object == {
        **{o.object_type: "0/100" for o in quality.QUARANTINED},
        "deals": "3/100",
        "calls": "1/100",
    }


def test_dbt_build_stops_when_a_quarantine_model_is_left_out_of_the_union(tmp_path):
    project = tmp_path / "dbt_project"
    project.mkdir()
    source = ROOT / "dbt_project"
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(source / name, project / name)
    for folder in ("models", "macros", "tests"):
        shutil.copytree(source / folder, project / folder)
    quarantine = project / "models" / "staging" / "hubspot" / "quarantine"
    shutil.copy(quarantine / "quarantine_calls.sql", quarantine / "quarantine_widgets.sql")
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "compile", "--select", "quarantined_records", "--no-partial-parse"]
        + ["--profiles-dir", str(project), "--project-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb")},
    )
    assert done.returncode != 0
    assert (
        "quarantined_records.sql leaves out quarantine_widgets: add its object type to the "
        "parts list there" in done.stdout
    ), done.stdout[-2000:]
