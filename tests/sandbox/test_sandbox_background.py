"""`make sandbox` / `make sandbox-stop`: a sandbox kept running in the background, its URL
and token in sandbox.env for the pipeline."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingestion.sandbox.background import DEFAULT_PORT
from ingestion.sandbox.runner import listening_socket


def background(data_dir: Path, command: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingestion.sandbox.background", command, "--data-dir", data_dir],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_start_status_stop(tmp_path):
    data = tmp_path / "data"
    assert background(data, "status").stdout == "CRM sandbox not running\n"

    started = background(data, "start")
    assert started.returncode == 0, started.stderr
    env_file = data / "sandbox.env"
    text = env_file.read_text()
    match = re.fullmatch(
        r"CRM_BASE_URL=(http://127\.0\.0\.1:(\d+))\nCRM_ACCESS_TOKEN=(sandbox-[0-9a-f]{32})\n"
        r"# pid (\d+)\n",
        text,
    )
    assert match, text
    url, port, token, pid = match.group(1), int(match.group(2)), match.group(3), int(match.group(4))
    try:
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert token not in started.stdout + started.stderr
        assert f"running on {url} (pid {pid})" in started.stdout
        with pytest.raises(OSError):  # the port is the sandbox's
            listening_socket("127.0.0.1", port)

        # A real request with the token: the demo's organisation (preset small, seed 42).
        health = httpx.get(f"{url}/_sandbox/health").json()
        assert health == {"status": "ok", "preset": "small", "seed": 42}
        owners = httpx.get(f"{url}/crm/v3/owners", headers={"Authorization": f"Bearer {token}"})
        assert owners.status_code == 200 and len(owners.json()["results"]) > 0
        assert httpx.get(f"{url}/crm/v3/owners").status_code == 401

        status = background(data, "status")
        assert (status.returncode, status.stdout) == (
            0,
            f"CRM sandbox running on {url} (pid {pid})\n",
        )
        assert token not in status.stdout

        again = background(data, "start")
        assert again.returncode == 0
        assert again.stdout == f"CRM sandbox already running on {url} (pid {pid})\n"
        assert env_file.read_text() == text  # the same sandbox, the same token

        assert "CRM sandbox" in (data / "sandbox.log").read_text()
    finally:
        stopped = background(data, "stop")
    assert stopped.returncode == 0
    assert stopped.stdout == f"CRM sandbox on {url} stopped\n"
    assert not env_file.exists()
    deadline = time.monotonic() + 10
    while _alive(pid):  # reaped by whichever process adopted it
        assert time.monotonic() < deadline, f"sandbox pid {pid} still running"
        time.sleep(0.1)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_sandbox/health", timeout=2)
    assert background(data, "status").stdout == "CRM sandbox not running\n"
    assert background(data, "stop").stdout == "CRM sandbox not running\n"


def test_port_8765_taken_means_another_free_port(tmp_path):
    try:
        blocker = listening_socket("127.0.0.1", DEFAULT_PORT)
    except OSError:
        blocker = None  # already taken by something else: the same situation
    try:
        started = background(tmp_path, "start", SANDBOX_SEED="7")
        assert started.returncode == 0, started.stderr
        url = re.search(r"^CRM_BASE_URL=(\S+)$", (tmp_path / "sandbox.env").read_text(), re.M)[1]
        assert not url.endswith(f":{DEFAULT_PORT}")
        assert httpx.get(f"{url}/_sandbox/health").json()["seed"] == 7  # SANDBOX_SEED
    finally:
        background(tmp_path, "stop")
        if blocker is not None:
            blocker.close()
    assert not (tmp_path / "sandbox.env").exists()


@pytest.mark.parametrize(
    "env,message",
    [
        ({"SANDBOX_SEED": "abc"}, "error: SANDBOX_SEED must be an integer, got 'abc'\n"),
        ({"SANDBOX_PRESET": "huge"}, "error: SANDBOX_PRESET: "),
    ],
)
def test_bad_settings_fail_in_one_line(tmp_path, env, message):
    result = background(tmp_path, "start", **env)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not (tmp_path / "sandbox.env").exists()


def test_a_stale_file_is_not_running(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "sandbox.env").write_text(
        f"CRM_BASE_URL=http://127.0.0.1:1\nCRM_ACCESS_TOKEN=x\n# pid {dead.pid}\n"
    )
    result = background(tmp_path, "status")
    assert (result.returncode, result.stdout) == (1, "CRM sandbox not running\n")
    assert not (tmp_path / "sandbox.env").exists()
