"""Dagster entry point (workspace.yaml): merges the domain modules under defs/."""

import dagster as dg

from orchestration.lib import env_order

env_order.restore()  # before any setting is read: the environment beats `.env`

from orchestration.defs import (  # noqa: E402
    alerts,
    freshness,
    ingestion,
    jobs,
    publish,
    publish_postgres,
    quality,
    recovery,
    reports,
    transform,
)

defs = dg.Definitions.merge(
    ingestion.defs,
    transform.defs,
    quality.defs,
    publish.defs,
    publish_postgres.defs,
    reports.defs,
    jobs.defs,
    freshness.defs,
    alerts.defs,
    recovery.defs,
)
