"""Apache Superset over serving.duckdb: the provisioned "Sales performance" dashboard."""
