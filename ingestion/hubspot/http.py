"""The HTTP session the HubSpot source uses: retries with backoff, and a client-side
rate limiter shared by every resource, so parallel extraction stays under the account's
limit while using nearly all of it."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from dlt.sources.helpers.requests import Client, Response, Session
from requests.adapters import HTTPAdapter

WINDOW_SECONDS = 10.0  # HubSpot limits requests per rolling 10 seconds


class RollingWindowLimiter:
    """At most `max_requests` requests in any rolling window; callers block until allowed.

    The server counts a request when it arrives, somewhere between its start and its
    answer. Each request counts here from its start until `window` after its answer, so
    however late a request reaches the server (a busy machine, a slow connection), no
    window of arrivals can hold one too many: only the answer time is lost from the limit.
    """

    def __init__(
        self,
        max_requests: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_requests = max_requests
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self.slots: list[list[float]] = []  # [answered at], inf while in flight
        self.lock = threading.Lock()

    def acquire(self) -> list[float]:
        """A slot for one request; pass it to `done` when the answer arrived."""
        while True:
            with self.lock:
                now = self.clock()
                self.slots = [s for s in self.slots if now - s[0] < self.window]
                if len(self.slots) < self.max_requests:
                    slot = [math.inf]
                    self.slots.append(slot)
                    return slot
                answered = [s[0] for s in self.slots if s[0] != math.inf]
                wait = min(answered) + self.window - now if answered else 0.01
            self.sleep(max(wait, 0.001))

    def done(self, slot: list[float]) -> None:
        with self.lock:
            slot[0] = self.clock()


class LimitedAdapter(HTTPAdapter):
    """Every request actually sent (retries included) holds a slot of the limiter."""

    def __init__(self, limiter: RollingWindowLimiter, **kwargs):
        self.limiter = limiter
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        slot = self.limiter.acquire()
        try:
            return super().send(request, **kwargs)
        finally:
            self.limiter.done(slot)


def is_daily_limit(response: Response | None) -> bool:
    return (
        response is not None
        and response.status_code == 429
        and '"DAILY"' in response.text.replace(" ", "")
    )


def _retry_rate_limits(response: Response | None, exception: BaseException | None) -> bool:
    """429 is retried (after Retry-After, else with backoff) unless the daily cap is hit."""
    return response is not None and response.status_code == 429 and not is_daily_limit(response)


def crm_session(max_requests_per_10s: int, timeout: float = 30.0, max_attempts: int = 8) -> Session:
    client = Client(
        request_timeout=timeout,
        request_max_attempts=max_attempts,
        request_backoff_factor=0.5,
        request_max_retry_delay=30,
        status_codes=tuple(range(500, 600)),
        retry_condition=_retry_rate_limits,
        respect_retry_after_header=True,
        raise_for_status=False,
    )
    session = client.session
    limiter = RollingWindowLimiter(max_requests_per_10s, WINDOW_SECONDS)
    adapter = LimitedAdapter(limiter, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
