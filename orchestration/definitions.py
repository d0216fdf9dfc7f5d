"""Dagster entry point (workspace.yaml): merges the domain modules under defs/."""

import dagster as dg

from orchestration.defs import (
    alerts,
    freshness,
    ingestion,
    jobs,
    publish,
    publish_postgres,
    quality,
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
)
