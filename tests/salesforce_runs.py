"""The nightly run (`make run`) against the Salesforce sandbox, alone or beside a HubSpot
sandbox, configured by a connections file as a user configures a real org."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.salesforce.runner import salesforce_process

ROOT = Path(__file__).resolve().parents[1]
SF_SEED, HS_SEED = 42, 7
# Field history as far back as the generated history: the ground-truth tests compare the
# whole of it (tests/ingestion/test_salesforce_source.py covers what the API no longer serves).
SF_ARGS = ("--field-history-months", "60")


def nightly_run(
    folder: Path,
    hubspot: bool,
    sf_args: tuple[str, ...] = SF_ARGS,
    reuse: bool = False,
    env_overrides: dict[str, str] | None = None,
) -> tuple[Path, subprocess.CompletedProcess]:
    """`make run`'s nightly run (its own process: connections are read when the
    definitions load) with a connections file naming the sandboxes; `reuse`: the next
    night of a run in `folder`; `env_overrides`: the environment changed last (SF_ID,
    SF_SECRET, SF_URL: the org's client id, secret and login URL)."""
    home = folder / "dagster_home"
    if not reuse:
        home.mkdir(parents=True)
        shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    with ExitStack() as stack:
        sf = stack.enter_context(salesforce_process("small", SF_SEED, extra_args=sf_args))
        lines = [
            "connections:",
            "  - {name: sf_org, kind: salesforce, base_url: '${SF_URL}', "
            f"client_id_env: SF_ID, client_secret_env: SF_SECRET, ca_bundle: '{sf.ca_file}'}}",
        ]
        env = {"SF_ID": sf.client_id, "SF_SECRET": sf.client_secret}
        login_url = (env_overrides or {}).get("SF_URL", sf.base_url)
        if hubspot:
            hs = stack.enter_context(sandbox_process("small", HS_SEED))
            lines.append(
                f"  - {{name: portal, kind: hubspot, base_url: '{hs.base_url}', token_env: HS}}"
            )
            env["HS"] = hs.token
        text = "\n".join(lines).replace("${SF_URL}", login_url) + "\n"
        (folder / "connections.yml").write_text(text)
        env |= {
            **os.environ,
            "CRM_CONNECTIONS_FILE": str(folder / "connections.yml"),
            "CRM_ACCESS_TOKEN": "",
            "CRM_MAX_REQUESTS_PER_10S": "10000",
            "WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
            "SERVING_PATH": str(folder / "serving.duckdb"),
            "DAGSTER_HOME": str(home),
            **(env_overrides or {}),
        }
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.lib.runs"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    return folder / "warehouse.duckdb", done
