"""Is the process that had a pid at some moment still running? (a pid can be reused)"""

from __future__ import annotations

import os
from pathlib import Path

_CLOCK_SLACK_SECONDS = 2.0  # /proc's boot time has whole seconds


def process_alive(pid: int, seen_at: float) -> bool:
    """Whether the process that had `pid` at time `seen_at` (epoch seconds) still runs: not
    gone, not a zombie, and not a newer process that was given the same pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    state = _process_state(pid)
    if state is None:
        return True  # no /proc to tell a zombie or a reused pid: assume alive
    code, started = state
    return code not in ("Z", "X") and started <= seen_at + _CLOCK_SLACK_SECONDS


def _process_state(pid: int) -> tuple[str, float] | None:
    """A process's state letter and start time (epoch seconds), from /proc if there is one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the fields after "pid (command name)"
    return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
