"""Every setting checked at once, before anything starts: the pipeline's settings object
and the optional PostgreSQL publish's. The demo, the backfill, `make run` and the first
step of every run call this, so a malformed value is one line before any work is done."""

from __future__ import annotations

from typing import Any

from ingestion.settings import Settings, load_settings


def check_all_settings(**overrides: Any) -> Settings:
    """The pipeline's settings; ConfigError with one line on the first wrong setting of
    any kind (overrides as for `load_settings`)."""
    from ingestion.connections import load_connections
    from orchestration.defs.publish_postgres import load_postgres_settings

    settings = load_settings(**overrides)
    load_connections(settings)
    load_postgres_settings()
    return settings
