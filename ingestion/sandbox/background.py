"""Keep the CRM sandbox running in the background: `make sandbox` / `make sandbox-stop`.

    python -m ingestion.sandbox.background start|stop|status [--data-dir DIR]

`start` serves the same organisation as `make demo` (preset small, seed 42; SANDBOX_PRESET
and SANDBOX_SEED override) on port 8765, or a free port when 8765 is taken, with a random
token, and writes `data/sandbox.env` (mode 0600), which the pipeline's settings read when
no CRM token is configured:

    CRM_BASE_URL=http://127.0.0.1:8765
    CRM_ACCESS_TOKEN=sandbox-...
    # pid 12345

The sandbox's log goes to `data/sandbox.log`. `stop` ends it and removes the file;
`status` prints its URL (never the token).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ingestion.sandbox.generator import PRESETS, unknown_preset_message
from ingestion.sandbox.runner import free_port, listening_socket

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 8765
START_TIMEOUT_SECONDS = 600  # the large preset takes minutes to generate


class BackgroundError(Exception):
    """Something the user can fix; the message is the one line to print."""


@dataclass
class Running:
    base_url: str
    pid: int


def env_file(data_dir: Path) -> Path:
    return data_dir / "sandbox.env"


def read_running(data_dir: Path) -> Running | None:
    """The sandbox `start` left running, or None (and a stale file removed)."""
    path = env_file(data_dir)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    url = re.search(r"^CRM_BASE_URL=(\S+)$", text, re.MULTILINE)
    pid = re.search(r"^# pid (\d+)$", text, re.MULTILINE)
    if url and pid and _is_sandbox_process(int(pid.group(1))):
        return Running(url.group(1), int(pid.group(1)))
    path.unlink(missing_ok=True)
    return None


def _is_sandbox_process(pid: int) -> bool:
    """Alive and serving the sandbox (a pid left from before a reboot may be reused)."""
    proc = Path(f"/proc/{pid}")
    if proc.parent.is_dir():  # Linux: also rules out a zombie and a reused pid
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            return False
        return state != "Z" and b"ingestion.sandbox" in cmdline
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _port() -> int:
    try:
        listening_socket("127.0.0.1", DEFAULT_PORT).close()
        return DEFAULT_PORT
    except OSError:
        return free_port()


def _preset_and_seed() -> tuple[str, int]:
    preset = os.environ.get("SANDBOX_PRESET", "small")
    if preset not in PRESETS:
        raise BackgroundError(f"SANDBOX_PRESET: {unknown_preset_message(preset)}")
    seed = os.environ.get("SANDBOX_SEED", "42")
    try:
        return preset, int(seed)
    except ValueError:
        raise BackgroundError(f"SANDBOX_SEED must be an integer, got {seed!r}") from None


def start(data_dir: Path, preset: str, seed: int) -> Running:
    """Start the sandbox detached, wait until it answers, write sandbox.env."""
    data_dir.mkdir(parents=True, exist_ok=True)
    token = "sandbox-" + secrets.token_hex(16)
    port = _port()
    log_path = data_dir / "sandbox.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingestion.sandbox", "--preset", preset, "--seed", str(seed)]
            + ["--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "SANDBOX_TOKEN": token},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this command and its terminal
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _healthy(base_url):
        if proc.poll() is not None:
            lines = log_path.read_text().strip().splitlines() or [f"exit code {proc.returncode}"]
            raise BackgroundError(f"the CRM sandbox did not start: {lines[-1]} (see {log_path})")
        if time.monotonic() > deadline:
            _stop_pid(proc.pid)
            raise BackgroundError(
                f"the CRM sandbox did not answer within {START_TIMEOUT_SECONDS}s (see {log_path})"
            )
        time.sleep(0.2)
    _write_private(
        env_file(data_dir),
        f"CRM_BASE_URL={base_url}\nCRM_ACCESS_TOKEN={token}\n# pid {proc.pid}\n",
    )
    return Running(base_url, proc.pid)


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/_sandbox/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds a token), replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _stop_pid(pid: int, timeout: float = 10) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _is_sandbox_process(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def stop(data_dir: Path) -> Running | None:
    """Stop the running sandbox (None when none was running) and remove sandbox.env."""
    running = read_running(data_dir)
    if running is not None:
        _stop_pid(running.pid)
    env_file(data_dir).unlink(missing_ok=True)
    return running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.sandbox.background",
        description="Keep the CRM sandbox running in the background.",
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("SANDBOX_DATA_DIR") or PROJECT_ROOT / "data"),
        help="where sandbox.env and sandbox.log go (default: data/, or SANDBOX_DATA_DIR)",
    )
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    running = read_running(data_dir)
    if args.command == "status":
        if running is None:
            print("CRM sandbox not running")
            return 1
        print(f"CRM sandbox running on {running.base_url} (pid {running.pid})")
        return 0
    if args.command == "stop":
        stopped = stop(data_dir)
        print(
            f"CRM sandbox on {stopped.base_url} stopped" if stopped else "CRM sandbox not running"
        )
        return 0
    if running is not None:
        print(f"CRM sandbox already running on {running.base_url} (pid {running.pid})")
        return 0
    try:
        preset, seed = _preset_and_seed()
        print(f"starting the CRM sandbox ({preset}, seed {seed}) in the background ...", flush=True)
        started = start(data_dir, preset, seed)
    except BackgroundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"CRM sandbox running on {started.base_url} (pid {started.pid}); the pipeline reads "
        f"its URL and token from {env_file(data_dir)}; stop it with `make sandbox-stop`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
