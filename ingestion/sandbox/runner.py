"""Start and stop the CRM sandbox as a local process on a free port."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket listening on host:port (0: a free port), as uvicorn would open it.

    It listens at once: with SO_REUSEADDR, a second socket may bind a port that is bound
    but not yet listening, and would only fail later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class RunningSandbox:
    base_url: str
    token: str
    preset: str
    seed: int


@contextmanager
def sandbox_process(
    preset: str = "small",
    seed: int = 42,
    token: str | None = None,
    timeout: float = 120,
    extra_args: tuple[str, ...] = (),
) -> Iterator[RunningSandbox]:
    """Run `python -m ingestion.sandbox` in a child process until the block ends.

    extra_args go to the sandbox CLI, e.g. ("--timezone", "Europe/Berlin").
    """
    token = token or "sandbox-" + os.urandom(8).hex()
    port = free_port()
    cmd = ["-m", "ingestion.sandbox", "--preset", preset, "--seed", str(seed)]
    base_url = f"http://127.0.0.1:{port}"
    with serving(
        [*cmd, *extra_args, "--port", str(port)], {"SANDBOX_TOKEN": token}, base_url, timeout
    ):
        yield RunningSandbox(base_url, token, preset, seed)


@contextmanager
def serving(
    args: list[str],
    env: dict[str, str],
    base_url: str,
    timeout: float = 120,
    verify: bool | str = True,
) -> Iterator[None]:
    """`python <args>` in a child process (with env added to ours) until the block ends,
    once its `/_sandbox/health` at base_url answers (verify: the CA file for https)."""
    log = tempfile.TemporaryFile(mode="w+")  # the server's own log, shown if it fails
    proc = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                tail = log.read().strip().splitlines()[-1:] or [""]
                raise RuntimeError(f"CRM sandbox exited with code {proc.returncode}: {tail[0]}")
            try:
                trust = (
                    ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
                )
                health = httpx.get(f"{base_url}/_sandbox/health", timeout=1, verify=trust)
                if health.status_code == 200:
                    break
            except (httpx.TransportError, OSError):  # not listening, or no certificate yet
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"CRM sandbox did not start within {timeout:.0f}s")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
