"""Optional PostgreSQL publish: the serving file's marts and core tables, copied into a
PostgreSQL schema for BI servers after the serving DuckDB file is published.

Off unless PUBLISH_POSTGRES_DSN is set (environment or `.env`). Importing this module reads
no setting: `load_postgres_settings()` does, and checks them all.
"""

from dataclasses import dataclass, field

import dagster as dg
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingestion.settings import ConfigError, load_settings
from orchestration.lib.errors import UserFacingError
from orchestration.publish.postgres import (
    PostgresTarget,
    PublishError,
    check_role_name,
    check_schema_name,
    describe_dsn,
    publish_to_postgres,
)

SERVING_DUCKDB = dg.AssetKey(["publish", "serving_duckdb"])


class PostgresPublishSettings(BaseSettings):
    """PUBLISH_POSTGRES_* settings as read; `load_postgres_settings()` checks them."""

    model_config = SettingsConfigDict(
        env_file=".env", env_prefix="PUBLISH_POSTGRES_", extra="ignore"
    )

    dsn: SecretStr | None = Field(None, description="postgresql://user:password@host:5432/db")
    schema_name: str = Field("crm_marts", validation_alias="PUBLISH_POSTGRES_SCHEMA")
    readonly_role: str = Field("bi_reader", description="empty: grant nothing")


@dataclass(frozen=True)
class PostgresPublish:
    """The checked PUBLISH_POSTGRES_* settings; `dsn` is None when the publish is off."""

    dsn: str | None = field(repr=False)  # holds the password
    schema: str
    readonly_role: str | None
    target: PostgresTarget | None

    @property
    def enabled(self) -> bool:
        return self.dsn is not None


def load_postgres_settings() -> PostgresPublish:
    """Every PUBLISH_POSTGRES_* setting, checked: ConfigError with one line naming the
    variable on the first wrong one (never quoting the DSN, which holds a password)."""
    try:
        raw = PostgresPublishSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PUBLISH_POSTGRES_" + str(first["loc"][0]).upper() if first["loc"] else ""
        raise ConfigError(f"{name}: {first['msg']}") from None
    dsn = raw.dsn.get_secret_value().strip() if raw.dsn else ""
    schema = raw.schema_name.strip()
    role = raw.readonly_role.strip() or None
    try:
        target = describe_dsn(dsn) if dsn else None
        check_schema_name(schema)
        if role:
            check_role_name(role)
    except PublishError as exc:
        raise ConfigError(str(exc)) from None
    return PostgresPublish(dsn or None, schema, role, target)


@dg.asset(
    key=["publish", "postgres"],
    group_name="publish",
    deps=[SERVING_DUCKDB],
    kinds={"postgres"},
    # No pool: it only reads the published serving file (read-only), never the warehouse.
    description=(
        "Optional: every table of the serving file's `marts` and `core` schemas, with column "
        "comments and a `publication` row, replaced in PostgreSQL schema "
        "PUBLISH_POSTGRES_SCHEMA in one transaction (rows landed by dlt in "
        "<schema>_staging first), readable by PUBLISH_POSTGRES_READONLY_ROLE. Off unless "
        "PUBLISH_POSTGRES_DSN is set."
    ),
)
def publish_postgres(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    try:
        config = load_postgres_settings()
    except ConfigError as exc:
        raise UserFacingError(str(exc)) from None
    if config.dsn is None or config.target is None:
        context.log.info("PUBLISH_POSTGRES_DSN is not set: PostgreSQL publish is off")
        return dg.MaterializeResult(
            metadata={"enabled": False, "reason": "PUBLISH_POSTGRES_DSN not set"}
        )
    target = config.target
    try:
        settings = load_settings()
        context.log.info(
            f"publishing {settings.serving_path.name} to PostgreSQL {target}, "
            f"schema {config.schema}"
        )
        rows = publish_to_postgres(
            settings.serving_path,
            config.dsn,
            config.schema,
            config.readonly_role,
            run_id=context.op_execution_context.run_id,
        )
    except (ConfigError, PublishError) as exc:
        raise UserFacingError(str(exc)) from None
    return dg.MaterializeResult(
        metadata={
            "enabled": True,
            "host": target.host,
            "port": target.port,
            "database": target.database,
            "schema": config.schema,
            "readonly_role": config.readonly_role or "none",
            "total_rows": sum(rows.values()),
            "rows_per_table": dg.MetadataValue.json(rows),
        }
    )


defs = dg.Definitions(assets=[publish_postgres])
