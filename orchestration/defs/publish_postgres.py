"""Optional PostgreSQL publish: the serving file's marts and core tables, copied into a
PostgreSQL schema for BI servers after the serving DuckDB file is published.

Off unless PUBLISH_POSTGRES_DSN is set (environment or `.env`).
"""

import dagster as dg
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingestion.settings import ConfigError, load_settings
from orchestration.lib.errors import UserFacingError
from orchestration.publish.postgres import PublishError, describe_dsn, publish_to_postgres

SERVING_DUCKDB = dg.AssetKey(["publish", "serving_duckdb"])


class PostgresPublishSettings(BaseSettings):
    """PUBLISH_POSTGRES_* settings; kept here, apart from the pipeline's settings object."""

    model_config = SettingsConfigDict(
        env_file=".env", env_prefix="PUBLISH_POSTGRES_", extra="ignore"
    )

    dsn: SecretStr | None = Field(None, description="postgresql://user:password@host:5432/db")
    schema_name: str = Field("crm_marts", validation_alias="PUBLISH_POSTGRES_SCHEMA")
    readonly_role: str = Field("bi_reader", description="empty: grant nothing")

    def dsn_value(self) -> str | None:
        value = self.dsn.get_secret_value().strip() if self.dsn else ""
        return value or None


@dg.asset(
    key=["publish", "postgres"],
    group_name="publish",
    deps=[SERVING_DUCKDB],
    kinds={"postgres"},
    # No pool: it only reads the published serving file (read-only), never the warehouse.
    description=(
        "Optional: every table of the serving file's `marts` and `core` schemas, with column "
        "comments, replaced in PostgreSQL schema PUBLISH_POSTGRES_SCHEMA (dlt, "
        "insert-from-staging), readable by PUBLISH_POSTGRES_READONLY_ROLE. Off unless "
        "PUBLISH_POSTGRES_DSN is set."
    ),
)
def publish_postgres(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    config = PostgresPublishSettings()
    dsn = config.dsn_value()
    if dsn is None:
        context.log.info("PUBLISH_POSTGRES_DSN is not set: PostgreSQL publish is off")
        return dg.MaterializeResult(
            metadata={"enabled": False, "reason": "PUBLISH_POSTGRES_DSN not set"}
        )
    try:
        settings = load_settings()
        target = describe_dsn(dsn)
        context.log.info(
            f"publishing {settings.serving_path.name} to PostgreSQL {target}, "
            f"schema {config.schema_name}"
        )
        rows = publish_to_postgres(
            settings.serving_path, dsn, config.schema_name, config.readonly_role.strip() or None
        )
    except (ConfigError, PublishError) as exc:
        raise UserFacingError(str(exc)) from None
    return dg.MaterializeResult(
        metadata={
            "enabled": True,
            "host": target.host,
            "port": target.port,
            "database": target.database,
            "schema": config.schema_name,
            "readonly_role": config.readonly_role or "none",
            "total_rows": sum(rows.values()),
            "rows_per_table": dg.MetadataValue.json(rows),
        }
    )


defs = dg.Definitions(assets=[publish_postgres])
