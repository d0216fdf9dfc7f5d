"""Progress on stderr while the benchmark runs, and its step lines on stdout."""

from __future__ import annotations

import sys
import threading
import time

try:
    from tqdm import tqdm as _tqdm
except ImportError:  # not a direct dependency: fall back to one rewritten stderr line
    _tqdm = None


class Progress:
    """A tqdm bar on stderr (or one rewritten stderr line without tqdm), redrawn every
    second so the elapsed time moves even while nothing is counted."""

    def __init__(
        self, desc: str, total: float | None = None, unit: str = "it", ticker: bool = False
    ):
        """ticker: show only the time elapsed (for a wait with nothing to count)."""
        self.desc, self.total, self.unit, self.ticker = desc, total, unit, ticker
        self.n = 0
        self.text = ""
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._bar = (
            _tqdm(
                desc=desc,
                total=total,
                unit=unit,
                unit_scale=True,
                file=sys.stderr,
                mininterval=0.5,
                dynamic_ncols=True,
                **({"bar_format": "{desc}: {elapsed} elapsed"} if ticker else {}),
            )
            if _tqdm is not None
            else None
        )
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.refresh()
                return
            total = f"/{self.total:,.0f}" if self.total else ""
            count = "" if self.ticker else f"{self.n:,.0f}{total} {self.unit} "
            elapsed = time.perf_counter() - self.started
            line = f"{self.desc}: {count}[{elapsed:.0f}s] {self.text}"
            sys.stderr.write("\r" + line[:150].ljust(150))
            sys.stderr.flush()

    def update(self, n: float = 1) -> None:
        with self._lock:
            self.n += n
            if self._bar is not None:
                self._bar.update(n)

    def set_total(self, total: float | None) -> None:
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.total = total

    def postfix(self, text: str) -> None:
        with self._lock:
            self.text = text
            if self._bar is not None:
                self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        self._stop.set()
        self._ticker.join()
        self._draw()
        with self._lock:
            if self._bar is not None:
                self._bar.close()
            else:
                sys.stderr.write("\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def say(message: str) -> None:
    print(f"==> {message}", flush=True)
