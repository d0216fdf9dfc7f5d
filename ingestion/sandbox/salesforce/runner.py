"""Start and stop the Salesforce sandbox as a local process on a free port (tests, demo)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingestion.sandbox.runner import free_port, serving


@dataclass
class RunningSalesforce:
    base_url: str  # https://127.0.0.1:<port>: the instance and the login URL both
    client_id: str
    client_secret: str
    ca_file: Path  # the sandbox's self-signed certificate, to trust
    preset: str
    seed: int


@contextmanager
def salesforce_process(
    preset: str = "small",
    seed: int = 42,
    timeout: float = 120,
    extra_args: tuple[str, ...] = (),
) -> Iterator[RunningSalesforce]:
    """Run `python -m ingestion.sandbox.salesforce` in a child process until the block ends."""
    client_id, secret = "sandbox-client-" + os.urandom(4).hex(), os.urandom(16).hex()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sf-sandbox-") as folder:
        cert_dir = Path(folder)
        args = ["-m", "ingestion.sandbox.salesforce", "--preset", preset, "--seed", str(seed)]
        args += [*extra_args, "--port", str(port), "--cert-dir", str(cert_dir)]
        env = {"SANDBOX_SF_CLIENT_ID": client_id, "SANDBOX_SF_CLIENT_SECRET": secret}
        base_url = f"https://127.0.0.1:{port}"
        ca_file = cert_dir / "sandbox-cert.pem"
        with serving(args, env, base_url, timeout, verify=str(ca_file)):
            yield RunningSalesforce(base_url, client_id, secret, ca_file, preset, seed)
