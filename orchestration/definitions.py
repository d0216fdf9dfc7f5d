"""Dagster entry point (workspace.yaml): merges the domain modules under defs/."""

import dagster as dg

from orchestration.defs import ingestion, jobs, reports, transform

defs = dg.Definitions.merge(ingestion.defs, transform.defs, jobs.defs, reports.defs)
