"""One order everywhere: an exported variable beats `.env`, also under the Dagster CLI,
which loads `.env` over the environment before any project code runs (`make dev` hands the
exported values along; orchestration/lib/env_order.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.settings import PROJECT_ROOT

PROBE = """
import dagster as dg

import orchestration.definitions  # noqa: F401  (as every Dagster process loads it)
from ingestion.settings import load_settings


@dg.op
def show(context):
    s = load_settings()
    print(f"PROBE {s.crm_base_url} {s.home_currency}", flush=True)


@dg.job
def probe():
    show()
"""


def _cli_run(folder: Path, env: dict[str, str]) -> str:
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "job", "execute", "-f", "probe.py", "-j", "probe"],
        cwd=folder,
        env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    [line] = [x for x in (proc.stdout + proc.stderr).splitlines() if x.startswith("PROBE ")]
    return line


@pytest.mark.parametrize("through_make_dev", [True, False])
def test_the_environment_beats_dot_env_under_the_dagster_cli(tmp_path, through_make_dev):
    (tmp_path / ".env").write_text("CRM_BASE_URL=http://from-dot-env:1\nHOME_CURRENCY=EUR\n")
    (tmp_path / "probe.py").write_text(PROBE)
    env = {**os.environ, "CRM_BASE_URL": "http://from-environment:2", "DAGSTER_HOME": str(tmp_path)}
    env.pop("CRM_WAREHOUSE_EXPORTED_ENV", None)
    if through_make_dev:  # what the Makefile's `dev` target hands Dagster
        env["CRM_WAREHOUSE_EXPORTED_ENV"] = subprocess.run(
            [sys.executable, "-m", "orchestration.lib.env_order"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # The exported value wins; what only .env sets still applies.
        assert _cli_run(tmp_path, env) == "PROBE http://from-environment:2 EUR"
    else:
        # Without it, Dagster's CLI lets .env win: the reason for the snapshot.
        assert _cli_run(tmp_path, env) == "PROBE http://from-dot-env:1 EUR"


def test_make_dev_hands_the_exported_values_along():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    dev = makefile[makefile.index("\ndev:") : makefile.index("\n\n", makefile.index("\ndev:"))]
    assert 'CRM_WAREHOUSE_EXPORTED_ENV="$$($(BIN)/python -m orchestration.lib.env_order)"' in dev
