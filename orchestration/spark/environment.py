"""The Spark engine's own environment, .venv-spark (`make spark-setup`, from uv.lock's group
spark): the dbt that builds on Spark (dbt-spark's session method makes that dbt process the
cluster's driver) and the pyspark package, a Spark distribution whose launcher starts the
local standalone cluster. The pipeline's .venv has neither: Great Expectations imports
pyspark wherever it is installed."""

from __future__ import annotations

from pathlib import Path

from ingestion.settings import PROJECT_ROOT

SPARK_VENV = PROJECT_ROOT / ".venv-spark"


def spark_dbt() -> Path:
    return SPARK_VENV / "bin" / "dbt"


def spark_home() -> Path | None:
    """The pyspark package's folder (SPARK_HOME), or None when .venv-spark is missing."""
    found = sorted(SPARK_VENV.glob("lib/python*/site-packages/pyspark/bin/spark-class"))
    return found[-1].parent.parent if found else None


def environment_problem() -> str | None:
    if not spark_dbt().exists() or spark_home() is None:
        return f"the Spark environment {SPARK_VENV} is missing: run `make spark-setup`"
    return None
