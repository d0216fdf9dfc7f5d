"""Apache Superset over serving.duckdb: the provisioned "Sales performance" dashboard."""


class BIError(Exception):
    """A problem the user fixes; its message is one line naming what to do."""
