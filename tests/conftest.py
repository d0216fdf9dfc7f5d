"""Shared fixtures: one CRM sandbox process per session and the generator's ground truth."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import RunningSandbox, sandbox_process

SEED = 42


@pytest.fixture(scope="session")
def org() -> Organisation:
    """The same organisation the sandbox serves (same preset and seed)."""
    return Organisation("small", SEED)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    with sandbox_process("small", SEED) as running:
        yield running


@pytest.fixture(scope="session")
def crm_env(sandbox: RunningSandbox, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment pointing the pipeline at the sandbox and a throwaway warehouse."""
    data = tmp_path_factory.mktemp("warehouse")
    env = {
        "CRM_BASE_URL": sandbox.base_url,
        "CRM_ACCESS_TOKEN": sandbox.token,
        "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
        "SERVING_PATH": str(data / "serving.duckdb"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield env


def auth(sandbox: RunningSandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token}"}
