"""What the benchmark's modules share: where it writes, and how a section fails."""

from __future__ import annotations

from ingestion.settings import PROJECT_ROOT

OUT_DIR = PROJECT_ROOT / "data" / "bench"
# A client-side limit that never throttles: the most CRM_MAX_REQUESTS_PER_10S accepts.
UNLIMITED = 100_000
TOKEN_ENV = "BENCH_CRM_TOKEN"  # the sandbox token for child processes (never argv)


class BenchError(Exception):
    """A measurement could not be taken (as opposed to a target missed)."""
