"""The Dagster UI: what the asset catalog shows."""

from __future__ import annotations

from collections import Counter

from orchestration.definitions import defs


def test_assets_show_sensible_kind_icons_and_no_dbt_logo():
    graph = defs.resolve_asset_graph()
    kinds = Counter(
        (key.path[0], frozenset(graph.get(key).kinds)) for key in graph.get_all_asset_keys()
    )
    model = frozenset({"sql", "duckdb"})
    assert kinds[("raw_hubspot", frozenset({"dlt", "duckdb"}))] == 19
    for layer in ("staging", "intermediate", "core", "marts", "quarantine"):
        assert kinds[(layer, model)] > 0, layer
    # dbt's red logo beside every model read as an error in the catalog
    assert not [key for key in graph.get_all_asset_keys() if "dbt" in graph.get(key).kinds]
