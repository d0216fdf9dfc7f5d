"""A Spark standalone cluster on this machine, started from the pyspark package's own
launcher (in .venv-spark; no download, no Spark install): one master and N workers on 127.0.0.1, each its
own process group, for the tests, `make demo ENGINE=spark` and `make bench`.

    with standalone_cluster(folder, workers=2) as cluster:
        ...  # SPARK_MASTER_URL=cluster.master_url

The cluster is stopped when the block ends, also on an error or Ctrl-C: workers first
(their executors are in their process groups), then the master. Logs go to
<folder>/logs/. An existing cluster is used by setting SPARK_MASTER_URL instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingestion.sandbox.runner import free_port
from orchestration.spark.environment import environment_problem, spark_home


class ClusterError(RuntimeError):
    """The local cluster could not start; the message says what to fix."""


@dataclass(frozen=True)
class Cluster:
    master_url: str
    ui_url: str
    workers: int

    def state(self) -> dict:
        """The master's view (its JSON status page): workers, cores, applications."""
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as answer:
            return json.load(answer)


def java_problem() -> str | None:
    """Why Spark cannot run here (it needs Java 17 or later), or None."""
    java = shutil.which("java")
    if java is None:
        return "no java on PATH: Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)"
    done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    first = (done.stderr or done.stdout).splitlines()[0] if (done.stderr or done.stdout) else ""
    try:
        major = int(first.split('"')[1].split(".")[0])
    except (IndexError, ValueError):
        return f"cannot read the Java version ({first!r}): Spark needs Java 17+"
    if major < 17:
        return (
            f"Java {major} found: Spark 4 needs Java 17+ (apt-get install openjdk-17-jre-headless)"
        )
    return None


def master_problem(master_url: str, timeout: float = 5) -> str | None:
    """Why this machine cannot drive the cluster at `master_url` (no Java, no .venv-spark,
    or a standalone master that does not answer), or None. Other masters (yarn, k8s) are not probed."""
    problem = java_problem() or environment_problem()
    if problem or not master_url.startswith("spark://"):
        return problem
    for address in master_url.removeprefix("spark://").split(","):  # HA: any of them
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return None
        except (OSError, ValueError):
            continue
    return (
        f"the Spark master at {master_url} does not answer: start the cluster or fix "
        "SPARK_MASTER_URL"
    )


@contextlib.contextmanager
def standalone_cluster(
    folder: Path, workers: int = 1, cores: int = 1, memory: str = "1g", timeout: float = 60
) -> Iterator[Cluster]:
    problem = java_problem() or environment_problem()
    if problem:
        raise ClusterError(problem)
    home = spark_home()
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port, ui_port = free_port(), free_port()
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(logs),
        "SPARK_WORKER_DIR": str(folder / "work"),
        "SPARK_DAEMON_MEMORY": "256m",
        # no REST submission server: nothing but the master's RPC and status ports
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
    }
    processes: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> None:
        with open(logs / f"{name}.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(home / "bin" / "spark-class"), *args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped as one
                )
            )

    cluster = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}", workers)
    try:
        start(
            "master", "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port),
        )  # fmt: skip
        for n in range(workers):
            start(
                f"worker-{n}", "org.apache.spark.deploy.worker.Worker",
                "--host", "127.0.0.1", "--webui-port", "0", "--cores", str(cores),
                "--memory", memory, "--work-dir", str(folder / "work"), cluster.master_url,
            )  # fmt: skip
        _wait_for_workers(cluster, processes, timeout, logs)
        yield cluster
    finally:
        _stop(processes)


def _wait_for_workers(
    cluster: Cluster, processes: list[subprocess.Popen], timeout: float, logs: Path
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError):
            if cluster.state().get("aliveworkers") == cluster.workers:
                return
        if any(p.poll() is not None for p in processes):
            raise ClusterError(f"a Spark daemon exited while starting: see {logs}")
        if time.monotonic() > deadline:
            raise ClusterError(f"the Spark cluster was not up after {timeout:.0f} s: see {logs}")
        time.sleep(0.3)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):  # workers (and their executors) first
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
