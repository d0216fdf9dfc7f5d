"""Provision and run Superset over the serving file (`make bi`, and the BI tests).

Runs in the pipeline's environment and drives Superset's own CLI and server from the BI
environment (.venv-bi, built from bi/superset/requirements.lock by `make bi-setup`).
Provisioning starts from an empty metadata database every time (Superset's import does
not update a chart or dataset it made before): upgrade, admin user, roles, then the
dashboard bundle. The data is never copied: Superset reads the serving file read-only,
one connection per query, so every refresh sees the latest publish.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bi.superset import BIError, bundle, dashboard

REPO = Path(__file__).resolve().parents[2]
BI_VENV = REPO / ".venv-bi"
CONFIG = Path(__file__).with_name("superset_config.py")
ADMIN = "admin"
PASSWORD_ENV = "SUPERSET_ADMIN_PASSWORD"


@dataclass(frozen=True)
class Home:
    """The BI home: Superset's metadata database, its logs, secret key and admin password."""

    path: Path

    @property
    def log(self) -> Path:
        return self.path / "superset.log"

    def _secret(self, name: str) -> str:
        file = self.path / name
        if not file.exists():
            file.touch(mode=0o600)
            file.write_text(secrets.token_urlsafe(32))
        return file.read_text().strip()

    @property
    def secret_key(self) -> str:
        return self._secret("secret_key")

    @property
    def password_file(self) -> Path:
        return self.path / "admin_password"

    @property
    def admin_password(self) -> str:
        return os.environ.get(PASSWORD_ENV) or self._secret("admin_password")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(
            SUPERSET_HOME=str(self.path),
            SUPERSET_CONFIG_PATH=str(CONFIG),
            SUPERSET_SECRET_KEY=self.secret_key,
            PATH=f"{BI_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        )
        return env


def _bin(name: str) -> Path:
    path = BI_VENV / "bin" / name
    if not path.exists():
        raise BIError(f"the BI environment is missing ({path}): run `make bi-setup`")
    return path


def _superset(home: Home, *args: str, stdin: str | None = None) -> None:
    with home.log.open("a") as log:
        log.write(f"\n$ superset {' '.join(args[:1])}\n")
        log.flush()
        done = subprocess.run(
            [str(_bin("superset")), *args],
            env=home.env(),
            input=stdin,
            text=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=home.path,
        )
    if done.returncode != 0:
        raise BIError(f"`superset {args[0]}` failed (exit {done.returncode}): see {home.log}")


def provision(home_path: Path, serving_path: Path) -> Home:
    """A fresh metadata database with the admin user and the dashboard over serving_path."""
    if not serving_path.exists():
        raise BIError(f"no serving file at {serving_path}: run `make demo` (or `make run`) first")
    import_zip = bundle.build(serving_path)
    _bin("superset")
    home = Home(home_path.resolve())
    home.path.mkdir(parents=True, exist_ok=True)
    (home.path / "superset.db").unlink(missing_ok=True)
    home.log.write_text("")
    zip_path = home.path / "sales_performance.zip"
    zip_path.write_bytes(import_zip)
    _superset(home, "db", "upgrade")
    password = home.admin_password
    _superset(
        home,
        "fab",
        "create-admin",
        "--username",
        ADMIN,
        "--firstname",
        "Sales",
        "--lastname",
        "Analyst",
        "--email",
        "admin@localhost",
        stdin=f"{password}\n{password}\n",
    )
    _superset(home, "init")
    _superset(home, "import-dashboards", "-p", str(zip_path), "-u", ADMIN)
    return home


def start(home: Home, port: int, workers: int = 2) -> subprocess.Popen:
    """Superset's web server on 127.0.0.1:port (gunicorn), logging to the home's log."""
    with home.log.open("a") as log:  # the server writes to its own copy of the handle
        return subprocess.Popen(
            [
                str(_bin("gunicorn")),
                f"--workers={workers}",
                "--worker-class=gthread",
                "--threads=4",
                f"--bind=127.0.0.1:{port}",
                "--timeout=120",
                "superset.app:create_app()",
            ],
            env=home.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=home.path,
            start_new_session=True,
        )


def wait_until_up(url: str, server: subprocess.Popen, home: Home, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BIError(f"Superset's server stopped (exit {server.returncode}): see {home.log}")
        try:
            if requests.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise BIError(f"Superset did not answer at {url} within {timeout:.0f} s: see {home.log}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


def _check_port_free(port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise BIError(
                f"port {port} is in use (another Superset?): choose another, "
                f"e.g. `make bi BI_PORT={port + 1}`"
            ) from None


def _stop_on_signal(signum, frame) -> None:
    raise KeyboardInterrupt  # `kill`, a closed terminal: stop the server as Ctrl-C does


def main(serving_path: Path, home_path: Path, port: int) -> int:
    before = {s: signal.signal(s, _stop_on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        _check_port_free(port)
        print(f"==> provisioning Superset in {home_path} over {serving_path}", flush=True)
        home = provision(home_path, serving_path)
        url = f"http://127.0.0.1:{port}"
        server = start(home, port)
        try:
            wait_until_up(url, server, home)
            where = f"${PASSWORD_ENV}" if os.environ.get(PASSWORD_ENV) else str(home.password_file)
            print(
                f"==> Superset is up: {url}/superset/dashboard/{dashboard.SLUG}/\n"
                f"    login: {ADMIN}, password in {where}\n"
                f"    log: {home.log}\n"
                "    Ctrl-C stops it; after a nightly run, refresh the page for the new data.",
                flush=True,
            )
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop(server)
    except BIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130  # stopped while provisioning
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    return 0
