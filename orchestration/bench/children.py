"""Measurements that run in a fresh interpreter, so that their peak memory is their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingestion.settings import PROJECT_ROOT
from orchestration.bench.common import TOKEN_ENV, BenchError


def run_child(kind: str, spec: dict, workdir: Path, token: str) -> tuple[dict, int]:
    """Run `--child kind` in a fresh interpreter: (its result, its peak RSS in KiB)."""
    spec_file = workdir / f"{kind}.spec.json"
    result_file = workdir / f"{kind}.result.json"
    spec_file.write_text(json.dumps({**spec, "result": str(result_file)}))
    env = {**os.environ, TOKEN_ENV: token}
    cmd = [sys.executable, "-m", "orchestration.bench", "--child", kind, str(spec_file)]
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchError(f"the {kind} process failed with exit code {proc.returncode}")
    return json.loads(result_file.read_text()), usage.ru_maxrss
