"""The dbt manifest Dagster and the catalog read, for the CRM kinds configured.

Each CRM kind's models are enabled only when a connection of that kind is configured
(dbt_project.yml), so the manifest depends on the kinds: `make setup` prepares the one of
the default (HubSpot) and of Salesforce with and without HubSpot; another set of kinds is
parsed here once, into target/kinds/<kinds>/, and again when `make setup` has re-parsed
the default since (the project changed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ingestion.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
DEFAULT_KINDS = ("hubspot",)


def manifest_path(kinds: Iterable[str]) -> Path:
    kinds = tuple(sorted(set(kinds)))
    if kinds == DEFAULT_KINDS:
        return DEFAULT_MANIFEST
    path = DBT_PROJECT_DIR / "target" / "kinds" / "-".join(kinds) / "manifest.json"
    stale = DEFAULT_MANIFEST.exists() and (
        not path.exists() or path.stat().st_mtime < DEFAULT_MANIFEST.stat().st_mtime
    )
    if stale or not path.exists():
        parse(kinds, path)
    return path


def parse(kinds: tuple[str, ...], path: Path) -> None:
    """`dbt parse` with one connection of each kind, its manifest moved to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connections = [{"name": kind, "kind": kind} for kind in kinds]
    with tempfile.TemporaryDirectory(dir=path.parent) as target:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"), "parse", "--quiet",
                "--profiles-dir", ".", "--project-dir", ".", "--target-path", target,
                "--vars", json.dumps({"crm_connections": connections}),
            ],
            cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"dbt parse for CRM kinds {', '.join(kinds)} failed: "
                f"{(done.stdout + done.stderr).strip()[-500:]}"
            )
        os.replace(Path(target) / "manifest.json", path)
