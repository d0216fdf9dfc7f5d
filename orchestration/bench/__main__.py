"""`python -m orchestration.bench`: see orchestration/bench/__init__.py."""

import sys

from orchestration.bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
