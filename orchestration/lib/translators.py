"""Asset keys shared by dlt and dbt: raw table `raw_<connection>.<resource>` is AssetKey
["raw_<connection>", <resource>] on both sides, so each dbt source depends on the dlt asset
that loads it (child tables map to their parent resource via source meta).

The dbt source `raw_hubspot` is the first HubSpot connection's schema (its keys follow that
connection); the staging models also read every further HubSpot connection's raw tables
(macro crm_raw), so they depend on those assets too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.connections import Connection

# Kinds are the icons the asset catalog shows: dbt's logo is red and reads as an error
# beside every model, so models show what they are (SQL in DuckDB) instead.
RAW_KINDS = {"dlt", "duckdb"}
MODEL_KINDS = {"sql", "duckdb"}
# The dbt source of each CRM kind (models/staging/<kind>/_<kind>__sources.yml).
SOURCE_PREFIX = "raw_"


class ConnectionDltTranslator(DagsterDltTranslator):
    """A connection's dlt resources (any CRM) as assets raw_<connection>/<resource>."""

    def __init__(self, raw_schema: str = "raw_hubspot") -> None:
        super().__init__()
        self.raw_schema = raw_schema

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=dg.AssetKey([self.raw_schema, data.resource.name]),
                group_name=self.raw_schema,
                deps=[],
                kinds=RAW_KINDS,
            )
        )


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """dbt models grouped by layer (staging, intermediate, core, marts); raw sources keyed
    by the connections that load them."""

    def __init__(self, connections: Sequence[Connection] = ()) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_duplicate_source_asset_keys=True
            )
        )
        self.by_kind: dict[str, list[Connection]] = {}
        for connection in connections:
            self.by_kind.setdefault(connection.kind, []).append(connection)

    def source_keys(self, source: Mapping[str, Any]) -> list[dg.AssetKey]:
        """The raw assets behind a dbt source table: one per connection of its kind."""
        # ["raw_<kind>", <resource>]: the dlt asset that loads it (child tables: their parent)
        key = source.get("meta", {}).get("dagster", {}).get("asset_key") or [
            source["source_name"],
            source["name"],
        ]
        kind = source["source_name"].removeprefix(SOURCE_PREFIX)
        connections = self.by_kind.get(kind)
        if not connections:
            return [dg.AssetKey(key)]
        return [dg.AssetKey([c.raw_schema, *key[1:]]) for c in connections]

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        source = manifest["sources"].get(unique_id)
        if source is not None:
            return spec.replace_attributes(key=self.source_keys(source)[0], kinds=MODEL_KINDS)
        node = manifest["nodes"].get(unique_id, {})
        extra = [
            dg.AssetDep(key)
            for parent in node.get("depends_on", {}).get("nodes", [])
            if parent in manifest["sources"]
            for key in self.source_keys(manifest["sources"][parent])[1:]
        ]
        spec = spec.replace_attributes(kinds=MODEL_KINDS)
        return spec.merge_attributes(deps=extra) if extra else spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return self.source_keys(dbt_resource_props)[0].path[0]
        return dbt_resource_props["config"].get("schema") or "dbt"
