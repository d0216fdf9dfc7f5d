"""Write bi/metabase/SETUP.md from the dashboard's definition (bi/superset/dashboard.py)."""

from bi.metabase.questions import SETUP, setup_markdown
from bi.superset.dashboard import SCHEMA
from orchestration.lib.catalog import load_manifest


def mart_columns() -> dict[str, set[str]]:
    """Each mart's columns as the dbt project declares them."""
    return {
        n["name"]: set(n["columns"])
        for n in load_manifest()["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == SCHEMA
    }


if __name__ == "__main__":
    SETUP.write_text(setup_markdown(mart_columns()))
    print(f"wrote {SETUP}")
