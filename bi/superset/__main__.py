"""`make bi`: provision Superset over the serving file and serve it on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    args = parser.parse_args(argv)
    return main(args.serving, args.home, args.port)


if __name__ == "__main__":
    sys.exit(cli())
