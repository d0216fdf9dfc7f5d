"""The environment comes before `.env`, under the Dagster CLI too.

Every Dagster CLI process (`dg dev`, its code server, its run workers) loads `./.env` over
the exported environment before any project code runs, while the project's settings (and
the usual convention) put the environment first. `make dev` therefore hands Dagster, in
CRM_WAREHOUSE_EXPORTED_ENV, the exported values of the variables `.env` also sets, and
`restore()` (called when the definitions load, in every Dagster process) puts them back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dotenv import dotenv_values

SNAPSHOT = "CRM_WAREHOUSE_EXPORTED_ENV"


def snapshot(folder: Path | str = ".") -> str:
    """JSON of the exported variables that `folder/.env` would overwrite."""
    in_dot_env = dotenv_values(Path(folder) / ".env").keys()
    return json.dumps({key: os.environ[key] for key in in_dot_env if key in os.environ})


def restore() -> None:
    """Put the exported values back over what Dagster read from `.env`."""
    saved = os.environ.get(SNAPSHOT)
    if saved:
        os.environ.update(json.loads(saved))


if __name__ == "__main__":
    print(snapshot())
