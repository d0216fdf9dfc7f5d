"""The HTTP session every CRM connector uses, and the errors a CRM answers with: retries
with backoff, and a client-side rate limiter shared by every resource, so parallel
extraction stays under the account's limit while using nearly all of it (HubSpot counts
requests per 10 seconds; Salesforce per day, read from its answers instead). The daily-cap,
transport and non-JSON messages name HubSpot's settings: its connector reads them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import requests
from dlt.sources.helpers.requests import Client, Response, Session
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError

WINDOW_SECONDS = 10.0  # HubSpot limits requests per rolling 10 seconds
TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class CrmUnavailable(Exception):
    """The CRM cannot be used as configured; the message says what to fix."""


class CrmUnreachable(CrmUnavailable):
    """No answer, or a server error: may pass by itself, so worth retrying."""


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
    """Every request actually sent (retries included) holds a slot of the limiter; the
    first answer from the CRM sets `answered`."""

    def __init__(
        self, limiter: RollingWindowLimiter, answered: threading.Event | None = None, **kwargs
    ):
        self.limiter = limiter
        self.answered = answered or threading.Event()
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        slot = self.limiter.acquire()
        try:
            response = super().send(request, **kwargs)
        finally:
            self.limiter.done(slot)
        self.answered.set()
        return response


def is_connect_failure(exc: BaseException) -> bool:
    """A connection that could not be opened: refused, unknown host, connect timeout
    (urllib3's NewConnectionError and NameResolutionError are ConnectTimeoutErrors)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    return isinstance(getattr(exc.args[0], "reason", exc.args[0]), ConnectTimeoutError)


DAILY_LIMIT_USED_UP = (
    "HubSpot's daily API request limit is used up: nothing from this run was loaded; "
    "run again after the limit resets (midnight in the account's time zone)"
)


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
    """One session for every request of a run (preflight, property discovery, extraction):
    one rate limiter, and retries with backoff for 5xx, 429 (not the daily cap), timeouts
    and dropped connections. A connection that cannot be opened is retried only once the
    CRM has answered: before that it is a wrong CRM_BASE_URL, not a passing fault."""
    answered = threading.Event()

    def retry_transport(response: Response | None, exception: BaseException | None) -> bool:
        if not isinstance(exception, TRANSPORT_ERRORS):
            return False
        if isinstance(exception, requests.exceptions.SSLError):
            return False  # an untrusted certificate stays untrusted
        return answered.is_set() or not is_connect_failure(exception)

    client = Client(
        request_timeout=timeout,
        request_max_attempts=max_attempts,
        request_backoff_factor=0.5,
        request_max_retry_delay=30,
        status_codes=tuple(range(500, 600)),
        exceptions=(),
        retry_condition=[_retry_rate_limits, retry_transport],
        respect_retry_after_header=True,
        raise_for_status=False,
    )
    session = client.session
    limiter = RollingWindowLimiter(max_requests_per_10s, WINDOW_SECONDS)
    adapter = LimitedAdapter(limiter, answered, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def transport_failure(base_url: str, exc: BaseException) -> CrmUnreachable:
    """A request that got no usable answer, even after the session's retries."""
    if is_connect_failure(exc):
        what = "could not be connected to"
    elif isinstance(exc, requests.Timeout):
        what = "did not answer in time"
    else:
        what = "kept dropping the connection"
    return CrmUnreachable(
        f"the CRM at {base_url} {what} ({type(exc).__name__}) after retries: the run "
        "retries by itself; if it persists, check the network and CRM_REQUEST_TIMEOUT_SECONDS"
    )


def json_of(response: Response, base_url: str):
    """The answer's JSON; an HTML or other non-JSON answer (a web page, a proxy's login
    page) means CRM_BASE_URL points somewhere else than the API."""
    try:
        return response.json()
    except ValueError:
        ctype = response.headers.get("content-type", "")
        what = "HTML" if "html" in ctype or response.text.lstrip().startswith("<") else "text"
        raise CrmUnavailable(
            f"the CRM at {base_url} answered {what}, not JSON (HTTP {response.status_code} "
            f"from {response.url.split('?')[0]}): check CRM_BASE_URL points at the HubSpot API root"
        ) from None
