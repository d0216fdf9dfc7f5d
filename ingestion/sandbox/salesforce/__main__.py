"""Serve the Salesforce-compatible sandbox over HTTPS:
`python -m ingestion.sandbox.salesforce --preset small --port 8766`.

`--port 0` picks a free port (the URL printed tells which). The connected app's client id
and secret (OAuth 2.0 client credentials: POST /services/oauth2/token) are read from
SANDBOX_SF_CLIENT_ID and SANDBOX_SF_CLIENT_SECRET (defaults `sandbox-client-id` and
`sandbox-client-secret`), never from argv. The certificate is made at start in
`--cert-dir` (default: a temporary folder); clients trust it by taking its
`sandbox-cert.pem` as their CA bundle (the path is printed). `--daily-limit N` sets the
org's daily API request allocation (Sforce-Limit-Info; 403 REQUEST_LIMIT_EXCEEDED past it).
`--delete-share 0.02` has users delete that share of records (IsDeleted: queryAll lists
them, query not); `--merge-share 0.02` has them merge that share of accounts and leads
into another of the same owner (MasterRecordId); `--custom-fields` adds the org's own
fields to Opportunity (Sales_Region__c, Partner_Channel__c); `--field-history-months 18` is
how long field history (OpportunityFieldHistory, LeadHistory) is kept;
`--single-currency` serves an org without multiple currencies, `--no-feedback-management`
one without the Survey* objects; `--bad-records all-quarantine,all-accepted` serves bad or unusual records too
(ingestion/sandbox/salesforce/bad_records.py lists the kinds).

The clock, as in the HubSpot sandbox: `POST /_sandbox/clock {"advance_days": 1}` (with a
bearer token) serves the organisation one day later; every answer's Date header is the
org's clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import uvicorn

from ingestion.sandbox.__main__ import port_message
from ingestion.sandbox.faults import FaultConfig
from ingestion.sandbox.generator import PRESETS, Organisation, unknown_preset_message
from ingestion.sandbox.runner import listening_socket
from ingestion.sandbox.salesforce.app import DAILY_API_REQUESTS, Options, create_app
from ingestion.sandbox.salesforce.bad_records import resolve_kinds
from ingestion.sandbox.salesforce.tls import make_certificate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="small", help=f"one of {', '.join(PRESETS)}")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    parser.add_argument("--cert-dir", type=Path, default=None)
    parser.add_argument("--daily-limit", type=int, default=DAILY_API_REQUESTS)
    parser.add_argument("--days-later", type=float, default=0.0, help="start the clock N days on")
    parser.add_argument(
        "--delete-share", type=float, default=0.0, help="share of records users deleted"
    )
    parser.add_argument(
        "--custom-fields", action="store_true", help="the org's own fields on Opportunity"
    )
    parser.add_argument(
        "--merge-share", type=float, default=0.0, help="share of accounts and leads merged"
    )
    parser.add_argument(
        "--field-history-months",
        type=int,
        default=18,
        help="field history (OpportunityFieldHistory, LeadHistory) kept, in months (Salesforce: 18)",
    )
    parser.add_argument(
        "--single-currency",
        action="store_true",
        help="an org without multiple currencies (no CurrencyIsoCode, no CurrencyType)",
    )
    parser.add_argument(
        "--no-feedback-management",
        action="store_true",
        help="an org without Feedback Management (no Survey* objects)",
    )
    parser.add_argument(
        "--bad-records", default="", help="kinds of bad records to serve, comma-separated"
    )
    parser.add_argument(
        "--faults",
        default="",
        help="error_rate=p,slow_rate=p,slow_seconds=s,drop_rate=p,outage=N,seed=N "
        "(ingestion/sandbox/faults.py; the daily allocation is --daily-limit)",
    )
    args = parser.parse_args(argv)
    try:
        faults = FaultConfig.parse(args.faults) if args.faults else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if faults is not None and (faults.rate_limit or faults.daily_limit):
        print(
            "error: rate_limit and daily_limit are HubSpot's limits: Salesforce's daily "
            "allocation is --daily-limit N",
            file=sys.stderr,
        )
        return 2
    try:
        bad_records = resolve_kinds(args.bad_records)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.preset not in PRESETS:
        print(f"error: {unknown_preset_message(args.preset)}", file=sys.stderr)
        return 2
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:
        print(f"error: {port_message(args.host, args.port, exc)}", file=sys.stderr)
        return 2
    cert_dir = args.cert_dir or Path(tempfile.mkdtemp(prefix="sf-sandbox-"))
    cert, key = make_certificate(cert_dir, args.host)

    def org_at(days_later: float) -> Organisation:
        return Organisation(args.preset, args.seed, days_later=days_later, keep_log=False)

    options = Options(
        seed=args.seed,
        delete_share=args.delete_share,
        merge_share=args.merge_share,
        custom_fields=args.custom_fields,
        field_history_months=args.field_history_months,
        daily_limit=args.daily_limit,
        bad_records=tuple(bad_records),
        single_currency=args.single_currency,
        feedback_management=not args.no_feedback_management,
    )
    try:
        org = org_at(args.days_later)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = create_app(
        org,
        os.environ.get("SANDBOX_SF_CLIENT_ID", "sandbox-client-id"),
        os.environ.get("SANDBOX_SF_CLIENT_SECRET", "sandbox-client-secret"),
        options,
        org_at,
        faults,
    )
    port = sock.getsockname()[1]
    print(
        f"Salesforce sandbox ({args.preset}, seed {args.seed}) on https://{args.host}:{port}"
        f" (certificate: {cert})",
        flush=True,
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        date_header=False,  # the sandbox sends its own clock
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
