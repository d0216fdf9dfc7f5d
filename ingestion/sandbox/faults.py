"""Fault switches for the CRM sandbox, reproducible from a seed.

`python -m ingestion.sandbox --faults rate_limit=40,retry_after=1,error_rate=0.1,seed=7`

- rate_limit=N: at most N requests per rolling 10 s (HubSpot's TEN_SECONDLY_ROLLING;
  rate_window=s shortens the window for quick tests);
  more get 429 with HubSpot's RATE_LIMIT body, with a Retry-After header when
  retry_after=1;
- daily_limit=N: after N requests in total, 429 with policyName DAILY (not retryable);
- error_rate=p: that share of requests answers 502/503/504;
- slow_rate=p, slow_seconds=s: that share of requests answers after s seconds (a timeout
  when s exceeds the client's timeout);
- drop_rate=p: that share of requests breaks off mid-answer (dropped connection);
- outage=N: the first N requests answer 503 (an API down for a while, then back).

Only the CRM API's paths are affected (/crm/ for HubSpot; the Salesforce sandbox passes
its own prefix and error body). Decisions come from random.Random(seed) in request order.
GET /_sandbox/faults (with the API's bearer token) tells what was injected so far.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, fields


@dataclass
class FaultConfig:
    rate_limit: int = 0
    rate_window: float = 10.0
    daily_limit: int = 0
    retry_after: int = 0
    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    drop_rate: float = 0.0
    outage: int = 0
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """`key=value,key=value` with the field names above."""
        types = {f.name: f.type for f in fields(cls)}
        values: dict = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            if key not in types:
                raise ValueError(f"unknown fault {key!r}: use one of {', '.join(types)}")
            values[key] = float(value) if types[key] == "float" else int(value)
        return cls(**values)


def _error_body(message: str, policy: str) -> bytes:
    return json.dumps(
        {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "groupName": "sandbox",
        }
    ).encode()


class FaultInjector:
    """ASGI middleware applying a FaultConfig; counts what it did in `stats`."""

    def __init__(
        self,
        app,
        config: FaultConfig,
        prefix: str = "/crm/",
        unavailable: bytes = b'{"status": "error", "message": "Service unavailable"}',
    ):
        self.app = app
        self.config = config
        self.prefix = prefix
        self.unavailable = unavailable  # the body of a 502/503/504
        self.rng = random.Random(config.seed)
        self.lock = threading.Lock()
        self.window: deque[float] = deque()
        self.total = 0
        self.stats = {"requests": 0, "rate_limited": 0, "errors": 0, "slow": 0, "dropped": 0}

    def _decide(self) -> str:
        cfg = self.config
        with self.lock:
            now = time.monotonic()
            self.stats["requests"] += 1
            if self.stats["requests"] <= cfg.outage:
                return "error"
            while self.window and now - self.window[0] >= cfg.rate_window:
                self.window.popleft()
            if cfg.daily_limit and self.total >= cfg.daily_limit:
                return "daily"
            if cfg.rate_limit and len(self.window) >= cfg.rate_limit:
                return "rate"
            self.window.append(now)
            self.total += 1
            roll = self.rng.random()
            for name, share in (
                ("error", cfg.error_rate),
                ("slow", cfg.slow_rate),
                ("drop", cfg.drop_rate),
            ):
                if roll < share:
                    return name
                roll -= share
            return "ok"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        decision = self._decide()
        if decision in ("rate", "daily"):
            self.stats["rate_limited"] += 1
            policy = "DAILY" if decision == "daily" else "TEN_SECONDLY_ROLLING"
            headers = [(b"content-type", b"application/json")]
            if decision == "rate" and self.config.retry_after:
                oldest = self.window[0] if self.window else time.monotonic()
                wait = max(1, int(self.config.rate_window - (time.monotonic() - oldest)) + 1)
                headers.append((b"retry-after", str(wait).encode()))
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            body = _error_body(f"You have reached your {policy.lower()} limit.", policy)
            return await send({"type": "http.response.body", "body": body})
        if decision == "error":
            self.stats["errors"] += 1
            status = self.rng.choice([502, 503, 504])
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            return await send({"type": "http.response.body", "body": self.unavailable})
        if decision == "slow":
            self.stats["slow"] += 1
            await asyncio.sleep(self.config.slow_seconds)
        if decision == "drop":
            self.stats["dropped"] += 1
            # Promise more than is sent, then stop: the client sees the connection break.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"100000"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"results": [', "more_body": True})
            raise ConnectionAbortedError("sandbox fault: dropped connection")
        return await self.app(scope, receive, send)
