"""A cheap first request that turns connection and auth problems into one clear line."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx


class CrmUnavailable(Exception):
    """The CRM cannot be used as configured; the message says what to fix."""


class CrmUnreachable(CrmUnavailable):
    """No answer, or a server error: may pass by itself, so worth retrying."""


def check_crm(base_url: str, token: str, timeout: float = 10.0) -> datetime:
    """Fails with one clear line if the CRM is unusable; returns the CRM's clock (Date header)."""
    url = f"{base_url}/crm/v3/owners"
    try:
        resp = httpx.get(
            url,
            params={"limit": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.TransportError as exc:
        reason = type(exc).__name__
        raise CrmUnreachable(
            f"cannot reach the CRM at {base_url} ({reason}): check CRM_BASE_URL "
            "and that the API (or `python -m ingestion.sandbox`) is running"
        ) from None
    if resp.status_code in (401, 403):
        raise CrmUnavailable(
            f"the CRM at {base_url} rejected the token (HTTP {resp.status_code}): "
            "set CRM_ACCESS_TOKEN to a valid HubSpot private app token"
        )
    if resp.status_code >= 500:
        raise CrmUnreachable(
            f"the CRM at {base_url} answered HTTP {resp.status_code}: the API is having "
            "trouble; the run retries by itself"
        )
    if resp.status_code >= 400:
        raise CrmUnavailable(
            f"the CRM at {base_url} answered HTTP {resp.status_code} to {url}: "
            "check CRM_BASE_URL points at the HubSpot API root"
        )
    try:
        return parsedate_to_datetime(resp.headers["date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
