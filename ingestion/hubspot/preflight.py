"""A cheap first request that turns connection and auth problems into one clear line."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from dlt.sources.helpers.requests import Session

from ingestion.http import (
    DAILY_LIMIT_USED_UP,
    CrmUnavailable,
    CrmUnreachable,
    crm_session,
    is_connect_failure,
    is_daily_limit,
    json_of,
    transport_failure,
)

__all__ = ["DAILY_LIMIT_USED_UP", "CrmUnavailable", "CrmUnreachable", "check_crm"]


def check_crm(
    base_url: str, token: str, timeout: float = 10.0, session: Session | None = None
) -> datetime:
    """Fails with one clear line if the CRM is unusable; returns the CRM's clock (Date header).

    The night's first request: a connection that cannot be opened here is a setting to
    fix (CrmUnavailable, not retried); 5xx, 429, timeouts and drops are retried by the
    session and, if they outlast its retries, raise CrmUnreachable."""
    session = session or crm_session(100, timeout)
    url = f"{base_url}/crm/v3/owners"
    try:
        resp = session.get(
            url,
            params={"limit": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        if is_connect_failure(exc):
            raise CrmUnavailable(
                f"cannot connect to the CRM at {base_url} ({type(exc).__name__}): check "
                "CRM_BASE_URL and that the API (or `python -m ingestion.sandbox`) is running"
            ) from None
        raise transport_failure(base_url, exc) from None
    if resp.status_code in (401, 403):
        raise CrmUnavailable(
            f"the CRM at {base_url} rejected the token (HTTP {resp.status_code}): "
            "set CRM_ACCESS_TOKEN to a valid HubSpot private app token"
        )
    if is_daily_limit(resp):
        raise CrmUnavailable(DAILY_LIMIT_USED_UP)
    if resp.status_code >= 500 or resp.status_code == 429:
        raise CrmUnreachable(
            f"the CRM at {base_url} answered HTTP {resp.status_code} after retries: the API "
            "is having trouble; the run retries by itself"
        )
    if resp.status_code >= 400:
        raise CrmUnavailable(
            f"the CRM at {base_url} answered HTTP {resp.status_code} to {url}: "
            "check CRM_BASE_URL points at the HubSpot API root"
        )
    json_of(resp, base_url)
    try:
        return parsedate_to_datetime(resp.headers["date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
