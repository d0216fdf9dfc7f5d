"""Staging, core and KPI marts: dbt models built against the same DuckDB file."""

import json
import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from ingestion.settings import PROJECT_ROOT, ConfigError, load_settings
from orchestration.defs.ingestion import DUCKDB_POOL
from orchestration.lib.errors import UserFacingError
from orchestration.lib.translators import WarehouseDbtTranslator

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Prepared by `make setup` (dbt parse); never parsed here, at import time.
MANIFEST: Path = dbt_project.manifest_path
if not MANIFEST.exists():
    raise FileNotFoundError(f"{MANIFEST} is missing: run `make setup` to prepare the dbt manifest")


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=WarehouseDbtTranslator(),
    pool=DUCKDB_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """dbt build: models with their tests, in dependency order."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise UserFacingError(str(exc)) from None
    os.environ["WAREHOUSE_PATH"] = str(settings.warehouse_path)
    # Unit tests check the SQL, not the data: `make test` runs them (tests/test_dbt_unit.py).
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(settings.dbt_vars()),
    ]
    yield from dbt.cli(args, context=context).stream()


defs = dg.Definitions(
    assets=[warehouse_models],
    # The venv's own dbt, so it works without the venv on PATH.
    resources={
        "dbt": DbtCliResource(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        )
    },
)
