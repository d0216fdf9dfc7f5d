"""How the extraction's Python work shares the CPU.

The extraction's threads mostly wait on the API. When it answers faster than they land
its records (a first load from a local CRM, or a backfill), the landing is CPU-bound
Python, and two things cost as much as the work itself (medium preset, 1.35M records):
threads fighting for the GIL, and the garbage collector walking the records in flight.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Parsing answers and landing their records run in one thread at a time: threads taking
# turns on this lock instead of on the GIL made the landing a quarter faster.
CPU_BOUND = threading.Lock()

# Objects the collector lets pile up before a pass over the youngest ones (Python: 700).
# Parsed pages hold about a thousand objects each, so every page used to live through a
# pass and be promoted, and a full pass over every older object followed every few pages.
YOUNG_OBJECTS = 100_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """While records are landed, the garbage collector passes only when YOUNG_OBJECTS
    objects piled up (records are freed as they are landed; only cycles wait for it)."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
