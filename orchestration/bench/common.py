"""What the benchmark's modules share: where it writes, and how a section fails."""

from __future__ import annotations

from ingestion.settings import PROJECT_ROOT

OUT_DIR = PROJECT_ROOT / "data" / "bench"
UNLIMITED = 1_000_000  # a client-side limit that never throttles
TOKEN_ENV = "BENCH_CRM_TOKEN"  # the sandbox token for child processes (never argv)


class BenchError(Exception):
    """A measurement could not be taken (as opposed to a target missed)."""
