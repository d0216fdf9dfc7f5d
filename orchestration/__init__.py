"""The pipeline's orchestration: Dagster definitions, runs, demo, backfill, benchmark."""

import warnings

# pyspark (WAREHOUSE_ENGINE=spark) warns on import that it does not fully support pandas 3,
# and Great Expectations imports it wherever it is installed. Neither converts anything to
# pandas through Spark here: the warning would only be noise in every run's output.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
