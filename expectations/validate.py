"""Run a suite: read its table from DuckDB into pandas and validate it with GX."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import Suite

logging.getLogger("great_expectations").setLevel(logging.WARNING)


@dataclass
class Outcome:
    check: str
    critical: bool
    success: bool
    unexpected: int | None
    observed: object


def read(
    con: duckdb.DuckDBPyConnection, suite: Suite, settings: dict | None = None
) -> tuple[pd.DataFrame, dict]:
    """The suite's table as a DataFrame, and the numbers its expectations compare with."""
    ctx = dict(settings or {})
    ctx |= {key: con.execute(sql).fetchone()[0] for key, sql in suite.context_queries.items()}
    frame = con.execute(f"select {suite.columns} from {suite.table}").df()
    return frame, ctx


def validate(suite: Suite, frame: pd.DataFrame, ctx: dict) -> list[Outcome]:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name))
    for check in suite.checks:
        gx_suite.add_expectation(check.build(ctx))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )
    result = definition.run(batch_parameters={"dataframe": frame})
    return [
        Outcome(
            check=check.name,
            critical=check.critical,
            success=bool(res.success),
            unexpected=res.result.get("unexpected_count"),
            observed=res.result.get("observed_value"),
        )
        for check, res in zip(suite.checks, result.results, strict=True)
    ]
