"""The warehouse's lists, read from the dbt manifest instead of being kept by hand.

- marts: every model in `models/marts/performance/`; the freshness checks watch them all
  and publishing waits for them;
- served schemas: those of the models with `meta: {served: true}` (dbt_project.yml);
  publish copies them into serving.duckdb;
- watched raw tables: the dbt sources with a `loaded_at_field` (the newest change);
- quarantined object types: the `quarantine_<object type>` models that
  `quarantined_records` unions, each with the raw table it checks.

Adding a mart or an object type means adding its dbt models; `dbt parse` (make setup)
refreshes the manifest these are read from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg

from ingestion.connections import connections_or_default
from ingestion.settings import load_settings_or_defaults
from orchestration.lib.manifest import manifest_path
from orchestration.lib.translators import WarehouseDbtTranslator

Manifest = Mapping[str, Any]
MART_FOLDER = ("marts", "performance")  # models/marts/performance/
QUARANTINE_UNION = "quarantined_records"
QUARANTINE_PREFIX = "quarantine_"


@dataclass(frozen=True)
class Model:
    name: str
    schema: str
    key: dg.AssetKey


@dataclass(frozen=True)
class RawTable:
    relation: str  # schema.table in the warehouse
    key: dg.AssetKey
    loaded_at_field: str
    # The column marking a record deleted in the CRM (meta deleted_column; None: none).
    deleted_column: str | None = "archived"


@dataclass(frozen=True)
class QuarantinedObject:
    object_type: str
    model: str  # quarantine_<object_type>
    records: str  # schema.table of the raw records it checks (the first connection's)
    # (crm_source, schema.table) of every connection of the CRM kind it checks
    records_by_source: tuple[tuple[str, str], ...] = ()
    deleted_column: str | None = "archived"  # as RawTable's


def deleted_column(source: Mapping[str, Any]) -> str | None:
    """The raw table's column marking records deleted in the CRM: its meta deleted_column,
    else its source's, else HubSpot's `archived`; None when it has none."""
    for meta in (source.get("meta") or {}, source.get("source_meta") or {}):
        if "deleted_column" in meta:
            return meta["deleted_column"]
    return "archived"


def not_deleted(column: str | None) -> str:
    """A where clause leaving out records deleted in the CRM ('' when none can be)."""
    return f" where not coalesce({column}, false)" if column else ""


@cache
def load_manifest(path: Path | None = None) -> Manifest:
    """The manifest of the configured CRM kinds (orchestration/lib/manifest.py)."""
    if path is None:
        kinds = [c.kind for c in connections_or_default(load_settings_or_defaults())]
        path = manifest_path(kinds)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make setup` to prepare the dbt manifest")
    return json.loads(path.read_text())


@cache
def _translator() -> WarehouseDbtTranslator:
    """The translator of the dbt assets, with the connections they are built with."""
    return WarehouseDbtTranslator(connections_or_default(load_settings_or_defaults()))


def _key(manifest: Manifest, unique_id: str) -> dg.AssetKey:
    """The node's Dagster asset key, as the dbt assets name it."""
    return _translator().get_asset_spec(manifest, unique_id, None).key


def _raw_relations(source: dict[str, Any]) -> list[tuple[str, str, dg.AssetKey]]:
    """(crm_source, schema.table, asset key) of a dbt source table in every connection of
    its CRM kind (the first is the source itself)."""
    found = []
    for key in _translator().source_keys(source):
        schema = key.path[0]
        found.append((schema.removeprefix("raw_"), f"{schema}.{source['identifier']}", key))
    return found


def _models(manifest: Manifest) -> list[dict[str, Any]]:
    return sorted(
        (n for n in manifest["nodes"].values() if n["resource_type"] == "model"),
        key=lambda n: n["name"],
    )


def _model(manifest: Manifest, node: dict[str, Any]) -> Model:
    return Model(node["name"], node["schema"], _key(manifest, node["unique_id"]))


def marts(manifest: Manifest | None = None) -> list[Model]:
    manifest = manifest or load_manifest()
    return [
        _model(manifest, n)
        for n in _models(manifest)
        if tuple(n["fqn"][1 : 1 + len(MART_FOLDER)]) == MART_FOLDER
    ]


def served_models(manifest: Manifest | None = None) -> list[Model]:
    manifest = manifest or load_manifest()
    return [
        _model(manifest, n)
        for n in _models(manifest)
        if (n["config"].get("meta") or {}).get("served") is True
    ]


def served_schemas(manifest: Manifest | None = None) -> tuple[str, ...]:
    return tuple(sorted({m.schema for m in served_models(manifest)}))


def watched_raw_tables(manifest: Manifest | None = None) -> list[RawTable]:
    manifest = manifest or load_manifest()
    return [
        RawTable(
            relation,
            key,
            s["loaded_at_field"],
            deleted_column(s),
        )
        for _, s in sorted(manifest["sources"].items())
        if s.get("loaded_at_field")
        for _, relation, key in _raw_relations(s)
    ]


def quarantine_union(manifest: Manifest | None = None) -> Model:
    manifest = manifest or load_manifest()
    [node] = [n for n in _models(manifest) if n["name"] == QUARANTINE_UNION]
    return _model(manifest, node)


def quarantined_objects(manifest: Manifest | None = None) -> list[QuarantinedObject]:
    """The object types `quarantined_records` unions. Each quarantine model reads exactly
    one raw table: the records whose share in quarantine is checked."""
    manifest = manifest or load_manifest()
    nodes = manifest["nodes"]
    [union] = [n for n in _models(manifest) if n["name"] == QUARANTINE_UNION]
    found = []
    for uid in sorted(union["depends_on"]["nodes"]):
        node = nodes.get(uid)
        if not node or node["resource_type"] != "model":
            continue
        if not node["name"].startswith(QUARANTINE_PREFIX):
            continue
        sources = [
            manifest["sources"][d] for d in node["depends_on"]["nodes"] if d.startswith("source.")
        ]
        if len(sources) != 1:
            raise ValueError(
                f"{node['original_file_path']} reads {len(sources)} raw tables: a quarantine "
                "model checks the records of exactly one"
            )
        [source] = sources
        by_source = tuple((name, relation) for name, relation, _ in _raw_relations(source))
        found.append(
            QuarantinedObject(
                node["name"].removeprefix(QUARANTINE_PREFIX),
                node["name"],
                by_source[0][1],
                by_source,
                deleted_column(source),
            )
        )
    return found
