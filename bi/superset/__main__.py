"""`make bi`: provision Superset over the serving file and serve it on 127.0.0.1.

With --bundle, only write the dashboard's import ZIP, for a Superset of your own (its
database is the serving file, or --database-uri and --schema, e.g. the PostgreSQL publish).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bi.superset import BIError, bundle
from bi.superset.server import main
from ingestion.settings import load_settings_or_defaults


def cli(argv: list[str] | None = None) -> int:
    serving = load_settings_or_defaults().serving_path
    parser = argparse.ArgumentParser(prog="make bi", description=__doc__)
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--serving", type=Path, default=serving, help="the serving file")
    parser.add_argument(
        "--home",
        type=Path,
        default=serving.parent / "superset",
        help="Superset's metadata, logs, secret key and admin password (gitignored)",
    )
    parser.add_argument("--bundle", type=Path, help="only write the import ZIP here")
    parser.add_argument("--database-uri", help="the bundle's database (default: the file)")
    parser.add_argument("--schema", default="marts", help="the marts' schema there")
    args = parser.parse_args(argv)
    if args.bundle is None:
        return main(args.serving, args.home, args.port)
    try:
        args.bundle.write_bytes(bundle.build(args.serving, args.database_uri, args.schema))
    except BIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.bundle}: import it in Superset (Dashboards → Import)")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
