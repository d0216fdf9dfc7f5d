"""The marts' columns as the dbt project declares them (its manifest; `make setup` writes it)."""

from __future__ import annotations

from bi.superset.dashboard import SCHEMA
from orchestration.lib.catalog import load_manifest


def mart_columns() -> dict[str, set[str]]:
    """Each mart's columns (every mart column is documented in dbt YAML)."""
    return {
        n["name"]: set(n["columns"])
        for n in load_manifest()["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == SCHEMA
    }
