"""Asset keys shared by dlt and dbt: raw table `raw_hubspot.<resource>` is AssetKey
["raw_hubspot", <resource>] on both sides, so each dbt source depends on the dlt asset
that loads it (child tables map to their parent resource via source meta)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

RAW_GROUP = "raw_hubspot"
# Kinds are the icons the asset catalog shows: dbt's logo is red and reads as an error
# beside every model, so models show what they are (SQL in DuckDB) instead.
RAW_KINDS = {"dlt", "duckdb"}
MODEL_KINDS = {"sql", "duckdb"}


class HubSpotDltTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=dg.AssetKey([RAW_GROUP, data.resource.name]),
                group_name=RAW_GROUP,
                deps=[],
                kinds=RAW_KINDS,
            )
        )


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """dbt models grouped by layer (staging, intermediate, core, marts)."""

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_duplicate_source_asset_keys=True
            )
        )

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        return (
            super()
            .get_asset_spec(manifest, unique_id, project)
            .replace_attributes(kinds=MODEL_KINDS)
        )

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return RAW_GROUP
        return dbt_resource_props["config"].get("schema") or "dbt"
