"""The HTTP session the HubSpot source uses: retries with backoff, and a client-side
rate limiter shared by every resource, so parallel extraction stays under the account's
limit while using nearly all of it."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from dlt.sources.helpers.requests import Client, Response, Session
from requests.adapters import HTTPAdapter

WINDOW_SECONDS = 10.0  # HubSpot limits requests per rolling 10 seconds
# The server counts arrivals, the limiter counts starts: uneven latency could put one
# request too many in the server's window, so the limiter's window is a little longer
# (97.5% of the allowed rate).
WINDOW_MARGIN_SECONDS = 0.25


class RollingWindowLimiter:
    """At most `max_requests` starts in any rolling window; callers block until allowed."""

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
        self.starts: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = self.clock()
                while self.starts and now - self.starts[0] >= self.window:
                    self.starts.popleft()
                if len(self.starts) < self.max_requests:
                    self.starts.append(now)
                    return
                wait = self.window - (now - self.starts[0])
            self.sleep(max(wait, 0.001))


class LimitedAdapter(HTTPAdapter):
    """Every request actually sent (retries included) first takes a slot from the limiter."""

    def __init__(self, limiter: RollingWindowLimiter, **kwargs):
        self.limiter = limiter
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        self.limiter.acquire()
        return super().send(request, **kwargs)


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
    limiter = RollingWindowLimiter(max_requests_per_10s, WINDOW_SECONDS + WINDOW_MARGIN_SECONDS)
    adapter = LimitedAdapter(limiter, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
