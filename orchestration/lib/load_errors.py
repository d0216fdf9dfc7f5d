"""Why a raw load failed, in one line: known failures of the dlt run mapped to
UserFacingError, retryable only when waiting can fix them. Unknown failures are left as
they are (the step retry policy retries them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import requests

from ingestion.http import (
    DAILY_LIMIT_USED_UP,
    TRANSPORT_ERRORS,
    CrmUnavailable,
    CrmUnreachable,
    is_daily_limit,
    transport_failure,
)
from orchestration.lib.errors import UserFacingError

# DuckDB's words for a file that is not (or no longer) a whole database.
_CORRUPT = re.compile(
    r"not a valid DuckDB database|Could not read enough bytes|corrupt|checksum"
    r"|Failed to load metadata|database file .* is truncated",
    re.IGNORECASE,
)
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and everything it was raised from or while handling."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def corrupt_state(pipelines_dir: Path) -> UserFacingError:
    return UserFacingError(
        f"dlt's pipeline state in {pipelines_dir} is unreadable (corrupt file): delete "
        "that folder; the next run restores the state from the warehouse"
    )


def load_failure(
    exc: BaseException, base_url: str, warehouse_path: Path, pipelines_dir: Path
) -> UserFacingError | None:
    """The one line for a failed dlt run, or None when the failure is not a known one. A
    connector's own refusal (CrmUnavailable, raised while extracting) is its line as is."""
    chain = list(causes(exc))
    for cause in chain:
        if isinstance(cause, CrmUnavailable):
            return UserFacingError(str(cause), retryable=isinstance(cause, CrmUnreachable))
    for cause in chain:
        if is_daily_limit(getattr(cause, "response", None)):
            return UserFacingError(DAILY_LIMIT_USED_UP)
    for cause in chain:
        if isinstance(cause, duckdb.Error):
            text = str(cause)
            if "Could not set lock" in text:
                pid = _LOCK_PID.search(text)
                holder = f"process {pid.group(1)}" if pid else "another process"
                return UserFacingError(
                    f"WAREHOUSE_PATH {warehouse_path} is locked by {holder} (another "
                    "pipeline run or a program holding it open): stop it, then run again"
                )
            if _CORRUPT.search(text):
                return UserFacingError(
                    f"WAREHOUSE_PATH {warehouse_path} is not a readable DuckDB database "
                    f"({type(cause).__name__}): restore it from a backup or delete it "
                    f"(and {pipelines_dir}) for a full reload"
                )
        if isinstance(cause, requests.JSONDecodeError):
            return UserFacingError(
                f"the CRM at {base_url} answered HTML or other non-JSON text: check "
                "CRM_BASE_URL points at the HubSpot API root"
            )
        if isinstance(cause, requests.HTTPError) and cause.response is not None:
            status = cause.response.status_code
            if status >= 500 or status == 429:
                return UserFacingError(
                    f"the CRM at {base_url} answered HTTP {status} after retries: the API "
                    "is having trouble; the run retries by itself",
                    retryable=True,
                )
        if isinstance(cause, TRANSPORT_ERRORS):
            return UserFacingError(str(transport_failure(base_url, cause)), retryable=True)
    return None
