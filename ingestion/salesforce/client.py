"""The connector's Salesforce REST client: OAuth 2.0 client credentials against the org's
login URL (its My Domain), SOQL `query` / `queryAll` page by page through
`nextRecordsUrl`, and the org's daily API allocation read from `Sforce-Limit-Info` on
every answer.

A 5xx, a timeout or a dropped connection is retried with backoff (the HubSpot source's
session); an expired token (401 INVALID_SESSION_ID) gets one new token. Everything that a
retry cannot fix stops with one line naming what to fix: the login URL, the client id or
secret, the CA bundle, a permission, or the allocation (the client stops before using the
last `reserve` calls of the day, which the org's other integrations need)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import requests

from ingestion.http import (
    CrmUnavailable,
    CrmUnreachable,
    crm_session,
    is_connect_failure,
)

API_VERSION = "59.0"
NO_RATE_WINDOW = 1_000_000  # Salesforce limits calls per day, not per 10 seconds
USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceRefused(CrmUnavailable):
    """Salesforce answered an error (its errorCode in `code`); the message says what to fix."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass
class Usage:
    used: int
    allocation: int

    @property
    def left(self) -> int:
        return self.allocation - self.used


class SalesforceClient:
    def __init__(
        self,
        login_url: str,
        client_id: str,
        client_secret: str,
        ca_bundle: str | None = None,
        reserve: int = 0,
        api_version: str = API_VERSION,
        timeout: float = 30.0,
        max_attempts: int = 8,
    ):
        self.login_url = login_url.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        # Given with every request: requests would let REQUESTS_CA_BUNDLE override a
        # session's own setting.
        self.verify: str | bool = ca_bundle or True
        self.reserve = reserve
        self.api_version = api_version
        self.session = crm_session(NO_RATE_WINDOW, timeout, max_attempts)
        self.instance_url = ""
        self.token = ""
        self.logins = 0
        self.usage: Usage | None = None
        self.clock: datetime | None = None  # the org's clock: the Date of its last answer

    # ------------------------------------------------------------------ login
    def login(self) -> None:
        url = f"{self.login_url}/services/oauth2/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        response = self._send("POST", url, data=form)
        body = self._json(response, url)
        if response.status_code != 200:
            raise CrmUnavailable(_login_refused(self.login_url, body))
        self.instance_url, self.token = body["instance_url"].rstrip("/"), body["access_token"]
        self.logins += 1

    # ------------------------------------------------------------------ query
    def query(self, soql: str, include_deleted: bool = False) -> Iterator[list[dict]]:
        """The query's records, a page (up to 2,000) at a time, without `attributes`."""
        resource = "queryAll" if include_deleted else "query"
        url = f"{self._base()}/{resource}"
        params: dict | None = {"q": soql}
        while True:
            body = self._get(url, params)
            yield [
                {k: v for k, v in record.items() if k != "attributes"} for record in body["records"]
            ]
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return
            url, params = self.instance_url + body["nextRecordsUrl"], None

    def limits(self) -> dict:
        return self._get(f"{self._base()}/limits", None)

    def describe(self, object_name: str) -> dict:
        """The object's describe: its fields (name, type, custom, ...) as this user sees them."""
        return self._get(f"{self._base()}/sobjects/{object_name}/describe", None)

    # ------------------------------------------------------------------ plumbing
    def _base(self) -> str:
        if not self.token:
            self.login()
        return f"{self.instance_url}/services/data/v{self.api_version}"

    def _get(self, url: str, params: dict | None) -> dict:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token}"}
            response = self._send("GET", url, params=params, headers=headers)
            self._count(response)
            body = self._json(response, url)
            if response.status_code == 200:
                return body
            code = _error_code(body)
            if response.status_code == 401 and code == "INVALID_SESSION_ID" and attempt == 1:
                self.login()  # the token expired or was revoked: one new one
                continue
            raise SalesforceRefused(_refused(response.status_code, code, body, url), code)
        raise AssertionError("unreachable")

    def _count(self, response: requests.Response) -> None:
        try:
            self.clock = parsedate_to_datetime(response.headers["Date"])
        except (KeyError, TypeError, ValueError):
            pass
        m = USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if m is None:
            return
        self.usage = Usage(int(m.group(1)), int(m.group(2)))
        if self.reserve and self.usage.left <= self.reserve:
            raise CrmUnavailable(
                f"Salesforce's daily API allocation is nearly used ({self.usage.used:,} of "
                f"{self.usage.allocation:,}): the run stops with the last {self.reserve:,} "
                "calls left for the org's other integrations; it continues tomorrow (or lower "
                "the connection's API reserve)"
            )

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return self.session.request(method, url, verify=self.verify, **kwargs)
        except requests.exceptions.SSLError:
            raise CrmUnavailable(
                f"the certificate of {self.login_url} is not trusted: give the connection's "
                "CA bundle (the certificate file of a sandbox or a TLS-inspecting proxy)"
            ) from None
        except requests.RequestException as exc:
            if is_connect_failure(exc) and not self.token:
                raise CrmUnavailable(
                    f"could not connect to the Salesforce login URL {self.login_url} "
                    f"({type(exc).__name__}): check the connection's login URL (the org's My "
                    "Domain, e.g. https://acme.my.salesforce.com)"
                ) from None
            raise CrmUnreachable(
                f"Salesforce at {self.instance_url or self.login_url} did not answer "
                f"({type(exc).__name__}) after retries: the run retries by itself"
            ) from None

    def _json(self, response: requests.Response, url: str):
        try:
            return response.json()
        except ValueError:
            raise CrmUnavailable(
                f"{url.split('?')[0]} answered HTTP {response.status_code} that is not JSON: "
                "check the connection's login URL (the org's My Domain)"
            ) from None


def _login_refused(login_url: str, body: dict) -> str:
    error = body.get("error", "") if isinstance(body, dict) else ""
    what = {
        "invalid_client_id": "does not know the client id: check the connection's client id "
        "(the connected app's consumer key)",
        "invalid_client": "refused the client secret: check the connection's client secret "
        "(the connected app's consumer secret)",
        "invalid_grant": "refused the client credentials flow: enable it for the connected "
        "app and give it a run-as user",
        "unsupported_grant_type": "does not offer the client credentials flow: enable it for "
        "the connected app",
    }.get(error, f"refused the login ({error or 'no reason given'})")
    return f"the Salesforce login at {login_url} {what}"


def _error_code(body) -> str:
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode", ""))
    return ""


def _refused(status: int, code: str, body, url: str) -> str:
    message = body[0].get("message", "") if code else str(body)[:200]
    reason = message.strip().splitlines()[-1] if message.strip() else ""
    if code == "REQUEST_LIMIT_EXCEEDED":
        return (
            "Salesforce's daily API allocation is used up: nothing more can be read today; "
            "the run continues tomorrow (the org's limit, not a fault of the connector)"
        )
    if code in ("INVALID_FIELD", "INVALID_TYPE"):
        return (
            f"Salesforce refused a field or object ({code}: {reason}): give the integration "
            "user read access to it (its profile or a permission set)"
        )
    return f"Salesforce answered HTTP {status} {code or ''} to {url.split('?')[0]}: {reason}"
