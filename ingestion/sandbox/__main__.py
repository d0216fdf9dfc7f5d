"""Serve the CRM sandbox: `python -m ingestion.sandbox --preset small --port 8765`.

`--port 0` picks a free port (the URL printed tells which). The bearer token is read from
SANDBOX_TOKEN (default `sandbox-token`), never from argv; every endpoint but
`/_sandbox/health` needs it, the control endpoints below too.
`--bad-records deal_unknown_stage,all-accepted --bad-records-seed 7` serves bad records
too (ingestion/sandbox/bad_records.py lists the kinds and shortcuts).
`--custom-properties`, `--archive-share 0.02` (deleted records) and `--merge-share 0.02`
(duplicates merged) change the organisation between two runs (ingestion/sandbox/drift.py).

The clock: `--days-later 3` starts three days after the default clock;
`POST /_sandbox/clock {"advance_days": 1}` moves it on while serving (new deals, stage
moves, closes, edits, owner changes and activities of the day in between appear):

    curl -X POST -H "Authorization: Bearer $SANDBOX_TOKEN" \\
        -d '{"advance_days": 1}' http://127.0.0.1:8765/_sandbox/clock

`python -m ingestion.sandbox.background start` keeps one running in the background.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

import uvicorn

from ingestion.sandbox.bad_records import SHORTCUTS, inject, resolve_kinds
from ingestion.sandbox.drift import (
    SHARED_REPS,
    add_custom_properties,
    archive_records,
    merge_records,
    share_reps,
)
from ingestion.sandbox.faults import FaultConfig
from ingestion.sandbox.generator import (
    HOME_CURRENCY,
    MAX_HISTORY_MONTHS,
    PORTAL_TIMEZONE,
    PRESETS,
    Organisation,
    unknown_preset_message,
)
from ingestion.sandbox.runner import listening_socket
from ingestion.sandbox.server import SEARCH_RESULT_CAP, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="small", help=f"one of {', '.join(PRESETS)}")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--timezone", default=PORTAL_TIMEZONE, help="the CRM portal's time zone")
    parser.add_argument("--home-currency", default=HOME_CURRENCY, help="the CRM's home currency")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--bad-records",
        default="",
        help=f"comma-separated bad-record kinds to serve, or {', '.join(SHORTCUTS)}",
    )
    parser.add_argument(
        "--custom-properties",
        action="store_true",
        help="add custom deal properties (schema drift, see ingestion/sandbox/drift.py)",
    )
    parser.add_argument(
        "--archive-share",
        type=float,
        default=0.0,
        help="delete (archive) this share of deals, engagements and contacts (drift.py)",
    )
    parser.add_argument(
        "--merge-share",
        type=float,
        default=0.0,
        help="merge this share of deals and contacts into another of the same owner (drift.py)",
    )
    parser.add_argument(
        "--history-months",
        type=int,
        default=None,
        help="months of history before the clock (default: the preset's, 24)",
    )
    parser.add_argument(
        "--shared-reps",
        type=int,
        default=0,
        help="give the first N reps a name and e-mail that do not depend on the seed (drift.py)",
    )
    parser.add_argument(
        "--faults",
        default="",
        help="fault switches, e.g. rate_limit=40,retry_after=1,error_rate=0.1,seed=7 "
        "(see ingestion/sandbox/faults.py)",
    )
    parser.add_argument(
        "--bad-records-seed", type=int, default=None, help="picks the bad records (default: --seed)"
    )
    parser.add_argument(
        "--days-later", type=float, default=0, help="start the CRM clock this many days later"
    )
    parser.add_argument(
        "--search-cap",
        type=int,
        default=SEARCH_RESULT_CAP,
        help="results a search can page through (HubSpot: 10,000); lower it to test windowing",
    )
    args = parser.parse_args(argv)
    if args.preset not in PRESETS:
        print(f"error: {unknown_preset_message(args.preset)}", file=sys.stderr)
        return 2
    if args.history_months is not None and not 1 <= args.history_months <= MAX_HISTORY_MONTHS:
        print(f"error: --history-months must be 1 to {MAX_HISTORY_MONTHS}", file=sys.stderr)
        return 2
    if not 0 <= args.shared_reps <= len(SHARED_REPS):
        print(f"error: --shared-reps must be 0 to {len(SHARED_REPS)}", file=sys.stderr)
        return 2
    try:
        kinds = resolve_kinds(args.bad_records)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def org_at(days_later: float) -> Organisation:
        org = Organisation(
            args.preset,
            args.seed,
            timezone=args.timezone,
            home_currency=args.home_currency,
            days_later=days_later,
            history_months=args.history_months,
            keep_log=False,  # the ground truth is computed elsewhere: serving needs no log
        )
        if kinds:
            inject(org, kinds, bad_seed)
        if args.custom_properties:
            add_custom_properties(org, args.seed)
        if args.archive_share:
            archive_records(org, args.seed, args.archive_share)
        if args.merge_share:
            merge_records(org, args.seed, args.merge_share)
        if args.shared_reps:
            share_reps(org, args.shared_reps)
        return org

    bad_seed = args.seed if args.bad_records_seed is None else args.bad_records_seed
    # Bound before the organisation is generated (seconds): a taken port fails at once.
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:
        print(f"error: {port_message(args.host, args.port, exc)}", file=sys.stderr)
        return 2
    try:
        first = [org_at(args.days_later)]  # handed over below: the server holds the only reference
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if kinds:
        print(f"serving bad records of {len(kinds)} kinds (seed {bad_seed})", file=sys.stderr)
    try:
        faults = FaultConfig.parse(args.faults) if args.faults else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    token = os.environ.get("SANDBOX_TOKEN", "sandbox-token")
    app = create_app(first.pop(), token, faults, org_at=org_at, search_cap=args.search_cap)
    port = sock.getsockname()[1]
    print(f"CRM sandbox ({args.preset}, seed {args.seed}) on http://{args.host}:{port}", flush=True)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        date_header=False,  # the sandbox sends its own clock
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def port_message(host: str, port: int, exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return (
            f"not allowed to listen on port {port}: choose a port above 1023 with --port N, "
            "or --port 0 to pick a free one"
        )
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is taken (another sandbox?): choose another with "
            "--port N, or --port 0 to pick a free one"
        )
    return f"cannot listen on {host}:{port} ({exc.strerror}): check --host and --port"


if __name__ == "__main__":
    sys.exit(main())
