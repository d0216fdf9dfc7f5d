"""The nightly run (`make run`) against the Salesforce sandbox, alone or beside a HubSpot
sandbox, configured by a connections file as a user configures a real org."""

from __future__ import annotations

import subprocess
from contextlib import ExitStack
from pathlib import Path

from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.salesforce.runner import salesforce_process

from .nightly_process import run_with_connections

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
    """The nightly run with the Salesforce sandbox (and a HubSpot one) as connections;
    `reuse`: the next night of a run in `folder`; `env_overrides`: the variables changed
    last (SF_ID, SF_SECRET, SF_URL: the org's client id, secret and login URL)."""
    overrides = env_overrides or {}
    with ExitStack() as stack:
        sf = stack.enter_context(salesforce_process("small", SF_SEED, extra_args=sf_args))
        lines = [
            f"  - {{name: sf_org, kind: salesforce, base_url: '{overrides.get('SF_URL', sf.base_url)}', "
            f"client_id_env: SF_ID, client_secret_env: SF_SECRET, ca_bundle: '{sf.ca_file}'}}",
        ]
        env = {"SF_ID": sf.client_id, "SF_SECRET": sf.client_secret}
        if hubspot:
            hs = stack.enter_context(sandbox_process("small", HS_SEED))
            lines.append(
                f"  - {{name: portal, kind: hubspot, base_url: '{hs.base_url}', token_env: HS}}"
            )
            env["HS"] = hs.token
        return run_with_connections(folder, lines, env | overrides, next_night=reuse)
