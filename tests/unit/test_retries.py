"""Retry schedules: the step retries wait what the README says; the connector's session
retries faults after the CRM answered, never a connection that cannot be opened at first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
import requests
from dagster._core.definitions.policy import calculate_delay

from ingestion.http import crm_session, is_connect_failure
from ingestion.sandbox.runner import free_port
from orchestration.defs.jobs import STEP_RETRY, retry_delays


def test_step_retries_wait_10_30_70_seconds_by_default():
    delays = [
        calculate_delay(n, STEP_RETRY.backoff, STEP_RETRY.jitter, base_delay=10.0)
        for n in range(1, STEP_RETRY.max_retries + 1)
    ]
    assert delays == [10.0, 30.0, 70.0]
    policy = dg.RetryPolicy(
        max_retries=STEP_RETRY.max_retries,
        delay=10.0,
        backoff=STEP_RETRY.backoff,
        jitter=STEP_RETRY.jitter,
    )
    assert retry_delays(policy) == [10.0, 30.0, 70.0]  # no jitter: the same every time
    assert retry_delays(policy) == retry_delays(policy)


def test_step_retries_follow_retry_delay_seconds():
    # The tests run with RETRY_DELAY_SECONDS=0.5 (conftest.py).
    assert retry_delays() == [0.5, 1.5, 3.5]


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def short_lived_api() -> Iterator[tuple[str, ThreadingHTTPServer]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()
    server.server_close()


def _count_attempts(session: requests.Session) -> list[int]:
    adapter = session.get_adapter("http://")
    attempts = [0]
    acquire = adapter.limiter.acquire

    def counting():
        attempts[0] += 1
        return acquire()

    adapter.limiter.acquire = counting
    return attempts


def test_a_refused_first_connection_is_tried_once():
    session = crm_session(100, timeout=5, max_attempts=4)
    attempts = _count_attempts(session)
    with pytest.raises(requests.ConnectionError) as failed:
        session.get(f"http://127.0.0.1:{free_port()}/crm/v3/owners")
    assert is_connect_failure(failed.value)
    assert attempts == [1]


def test_a_refused_connection_after_the_crm_answered_is_retried(short_lived_api):
    base_url, server = short_lived_api
    session = crm_session(100, timeout=5, max_attempts=3)
    attempts = _count_attempts(session)
    assert session.get(f"{base_url}/crm/v3/owners").status_code == 200
    server.shutdown()
    server.server_close()  # the API goes away mid-run
    session.close()  # no kept-alive connection: the next request must connect anew
    with pytest.raises(requests.ConnectionError):
        session.get(f"{base_url}/crm/v3/owners")
    assert attempts == [1 + 3]
