"""`make run`'s nightly run in its own process (connections are read when the definitions
load), configured by a connections file as a user configures their CRM accounts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_with_connections(
    folder: Path, connections: list[str], env: dict[str, str], next_night: bool = False
) -> tuple[Path, subprocess.CompletedProcess]:
    """The nightly run with `connections` (YAML lines under `connections:`) and `env` (the
    variables they name); the warehouse, serving file and Dagster home in `folder`;
    `next_night`: a later night of a run already there."""
    home = folder / "dagster_home"
    if not next_night:
        home.mkdir(parents=True)
        shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    (folder / "connections.yml").write_text("\n".join(["connections:", *connections]) + "\n")
    env = {
        **os.environ,
        "CRM_CONNECTIONS_FILE": str(folder / "connections.yml"),
        "CRM_ACCESS_TOKEN": "",  # no default connection: the file says it all
        "CRM_MAX_REQUESTS_PER_10S": "10000",
        "WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
        "SERVING_PATH": str(folder / "serving.duckdb"),
        "DAGSTER_HOME": str(home),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.lib.runs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return folder / "warehouse.duckdb", done
