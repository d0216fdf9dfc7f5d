"""Optional PostgreSQL publish target: the serving DuckDB file's `marts` and `core` tables
copied into one PostgreSQL schema with dlt, with their column comments and a read-only role
for BI.

dlt's replace strategy `insert-from-staging`: every table is first loaded into
`<schema>_staging`; then, per table and in one transaction, the published table is
truncated and filled from staging. A reader sees the old rows or the new rows of a table,
never a half load, and a publish that fails before that step leaves the published tables as
they were. The published tables are kept (not dropped and recreated), so their comments,
grants and any views BI users built on them survive a publish.

Secrets: the DSN (with its password) is never logged or put in an error message; logs and
errors name host, port, database, user and schema only.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import dlt
import duckdb
import psycopg2
import pyarrow as pa
from dlt.common.normalizers.naming import NamingConvention
from dlt.pipeline.exceptions import PipelineStepFailed
from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor
from psycopg2.extensions import parse_dsn

logger = logging.getLogger(__name__)

SERVING_SCHEMAS = ("marts", "core")
PIPELINE_NAME = "crm_publish_postgres"
# Rows per Arrow batch read from DuckDB: bounds memory for the largest facts.
BATCH_ROWS = 100_000
CONNECT_TIMEOUT_S = 10
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PublishError(Exception):
    """A publish failed for a reason the user can fix; the message names the setting."""


class ServingFileMissing(PublishError):
    """The serving DuckDB file has not been published yet."""


class PostgresUnavailable(PublishError):
    """The PostgreSQL server is unreachable or rejects the credentials."""


@dataclass(frozen=True)
class PostgresTarget:
    """What may be logged about a DSN: everything but the password."""

    host: str
    port: int
    database: str
    user: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"


@dataclass
class ServingTable:
    schema: str
    name: str
    comment: str | None
    column_comments: dict[str, str | None] = field(default_factory=dict)


def describe_dsn(dsn: str) -> PostgresTarget:
    """Host, port, database and user of a `postgresql://user:password@host:port/db` DSN."""
    bad = PublishError(
        "PUBLISH_POSTGRES_DSN is not a PostgreSQL connection URL: "
        "use postgresql://user:password@host:5432/database"
    )
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise bad
    try:
        parts = parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        raise bad from None
    return PostgresTarget(
        host=parts.get("host", "localhost"),
        port=int(parts.get("port", 5432)),
        database=parts.get("dbname", parts.get("user", "")),
        user=parts.get("user", ""),
    )


def check_postgres(dsn: str) -> PostgresTarget:
    """Connect once so that a wrong DSN fails with one line naming what to fix."""
    target = describe_dsn(dsn)
    try:
        psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg2.OperationalError as exc:
        reason = _first_line(_scrub(str(exc), dsn))
        # 'connection to server at "h", port p failed: FATAL:  <reason>' -> '<reason>'
        reason = re.sub(r"^connection to server .*? failed: (FATAL:\s+)?", "", reason)
        if "password" in reason or "authentication" in reason or "role" in reason:
            raise PostgresUnavailable(
                f"PostgreSQL at {target.host}:{target.port} rejected user {target.user!r} "
                f"({reason}): fix the user and password in PUBLISH_POSTGRES_DSN"
            ) from None
        if "database" in reason and "does not exist" in reason:
            raise PostgresUnavailable(
                f"database {target.database!r} does not exist on PostgreSQL at "
                f"{target.host}:{target.port}: create it or fix the database in "
                "PUBLISH_POSTGRES_DSN"
            ) from None
        raise PostgresUnavailable(
            f"cannot reach PostgreSQL at {target.host}:{target.port} ({reason}): check the "
            "host and port in PUBLISH_POSTGRES_DSN and that the server is running"
        ) from None
    return target


def publish_to_postgres(
    serving_path: Path, dsn: str, schema: str, readonly_role: str | None
) -> dict[str, int]:
    """Replace the tables of PostgreSQL schema `schema` with every table of the serving
    file's `marts` and `core` schemas (same table names), copy their comments, and let
    `readonly_role` (created NOLOGIN when missing) read the schema. Returns rows per table.
    """
    serving_path = Path(serving_path)
    _check_identifier(schema, "PUBLISH_POSTGRES_SCHEMA")
    if readonly_role:
        _check_identifier(readonly_role, "PUBLISH_POSTGRES_READONLY_ROLE")
    if not serving_path.is_file():
        raise ServingFileMissing(
            f"{serving_path} does not exist: materialize publish/serving_duckdb first "
            "(or set SERVING_PATH to a published serving file)"
        )
    target = check_postgres(dsn)

    try:
        con = duckdb.connect(str(serving_path), read_only=True)
    except duckdb.Error as exc:
        raise PublishError(
            f"cannot open {serving_path} ({_first_line(str(exc))}): set SERVING_PATH to "
            "the serving DuckDB file written by publish/serving_duckdb"
        ) from None
    try:
        tables = _serving_tables(con, serving_path)
        logger.info(
            "publishing %d tables from %s to PostgreSQL %s as %s, schema %s",
            len(tables),
            serving_path.name,
            target,
            target.user,
            schema,
        )
        with tempfile.TemporaryDirectory(prefix="dlt_publish_postgres_") as workdir:
            # A fresh working directory per publish: no half-finished package of an earlier
            # failed run is ever resumed; dlt restores its state from the destination.
            pipeline = dlt.pipeline(
                pipeline_name=PIPELINE_NAME,
                pipelines_dir=workdir,
                destination=dlt.destinations.postgres(
                    credentials=dsn,
                    # Explicit factory arguments win over `[destination.postgres]
                    # replace_strategy` in config.toml or DESTINATION__REPLACE_STRATEGY.
                    replace_strategy="insert-from-staging",
                ),
                dataset_name=schema,
                progress=None,
            )
            resources = [
                dlt.resource(
                    _arrow_batches(con, table), name=table.name, write_disposition="replace"
                )
                for table in tables
            ]
            try:
                with _without_arrow_conversion_warnings():
                    # insert_values, not csv: dlt's COPY loads an empty string as NULL.
                    pipeline.run(resources, loader_file_format="insert_values")
            except PipelineStepFailed as exc:
                raise _load_failure(exc, dsn, target, schema) from None
            naming = pipeline.default_schema.naming
            dlt_tables = pipeline.default_schema.dlt_table_names()
            with pipeline.sql_client() as client:
                dataset = client.dataset_name
    finally:
        con.close()

    rows = _comment_count_and_grant(dsn, target, dataset, tables, naming, readonly_role, dlt_tables)
    logger.info(
        "published %d rows in %d tables to PostgreSQL %s, schema %s",
        sum(rows.values()),
        len(rows),
        target,
        dataset,
    )
    return rows


def _serving_tables(con: duckdb.DuckDBPyConnection, serving_path: Path) -> list[ServingTable]:
    schemas = ", ".join(f"'{s}'" for s in SERVING_SCHEMAS)
    found = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        f"where database_name = current_database() and schema_name in ({schemas}) "
        "order by schema_name, table_name"
    ).fetchall()
    tables = {(s, t): ServingTable(s, t, c) for s, t, c in found}
    columns = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        f"where database_name = current_database() and schema_name in ({schemas}) "
        "order by schema_name, table_name, column_index"
    ).fetchall()
    for s, t, column, comment in columns:
        if (s, t) in tables:
            tables[(s, t)].column_comments[column] = comment
    if not tables:
        raise PublishError(
            f"{serving_path} has no tables in schemas {', '.join(SERVING_SCHEMAS)}: set "
            "SERVING_PATH to the serving file written by publish/serving_duckdb"
        )
    seen: dict[str, str] = {}
    for table in tables.values():
        if table.name in seen:
            raise PublishError(
                f"table {table.name} is in both {seen[table.name]} and {table.schema} of "
                f"{serving_path}; one PostgreSQL schema cannot hold both: rename one model"
            )
        seen[table.name] = table.schema
    return list(tables.values())


def _arrow_batches(con: duckdb.DuckDBPyConnection, table: ServingTable) -> Iterator[pa.Table]:
    """The table as Arrow batches (keeps DECIMAL, DATE, TIMESTAMPTZ, DOUBLE, BOOLEAN), on a
    cursor of its own so dlt may interleave tables."""
    cursor = con.cursor()
    try:
        query = f"select * from {_duck_ident(table.schema)}.{_duck_ident(table.name)}"
        reader = cursor.sql(query).to_arrow_reader(BATCH_ROWS)
        empty = True
        for batch in reader:
            if batch.num_rows:
                empty = False
                yield pa.Table.from_batches([batch])
        if empty:
            # An empty table still replaces the published rows (and creates the table).
            yield reader.schema.empty_table()
    finally:
        cursor.close()


def _comment_count_and_grant(
    dsn: str,
    target: PostgresTarget,
    dataset: str,
    tables: list[ServingTable],
    naming: NamingConvention,
    readonly_role: str | None,
    dlt_tables: list[str],
) -> dict[str, int]:
    """Column and table comments, rows per published table, and the read-only role's
    grants, in one transaction."""
    rows: dict[str, int] = {}
    schema_id = sql.Identifier(dataset)
    conn = psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
    try:
        with conn, conn.cursor() as cur:
            for table in tables:
                name = naming.normalize_table_identifier(table.name)
                qualified = sql.SQL("{}.{}").format(schema_id, sql.Identifier(name))
                cur.execute(
                    sql.SQL("comment on table {} is {}").format(
                        qualified, sql.Literal(table.comment or None)
                    )
                )
                for column, comment in table.column_comments.items():
                    cur.execute(
                        sql.SQL("comment on column {}.{} is {}").format(
                            qualified,
                            sql.Identifier(naming.normalize_identifier(column)),
                            sql.Literal(comment or None),
                        )
                    )
                cur.execute(sql.SQL("select count(*) from {}").format(qualified))
                rows[table.name] = cur.fetchone()[0]
            if readonly_role:
                _grant_read_only(cur, schema_id, readonly_role, dlt_tables)
    except psycopg2.errors.InsufficientPrivilege as exc:
        reason = _first_line(_scrub(str(exc), dsn))
        if not readonly_role:
            raise PublishError(
                f"user {target.user!r} on PostgreSQL {target} may not comment on the tables "
                f"of schema {dataset} ({reason}): let the user in PUBLISH_POSTGRES_DSN own "
                "that schema, or set PUBLISH_POSTGRES_SCHEMA to a schema it owns"
            ) from None
        raise PublishError(
            f"user {target.user!r} on PostgreSQL {target} may not set up role "
            f"{readonly_role!r} ({reason}): create it once as an admin (CREATE ROLE "
            f"{readonly_role} NOLOGIN), or set PUBLISH_POSTGRES_READONLY_ROLE to an existing "
            "role or to an empty value to skip the grants"
        ) from None
    finally:
        conn.close()
    return rows


def _grant_read_only(
    cur: PgCursor, schema_id: sql.Identifier, role: str, dlt_tables: list[str]
) -> None:
    """A NOLOGIN role when missing (an admin gives it a password: see README); SELECT on the
    schema's tables now and on every table created in it later, except dlt's bookkeeping
    tables (`_dlt_loads`, ...), which would only clutter the BI tool's table list."""
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    role_id = sql.Identifier(role)
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} nologin").format(role_id))
    for statement in (
        "grant usage on schema {schema} to {role}",
        "grant select on all tables in schema {schema} to {role}",
        "alter default privileges in schema {schema} grant select on tables to {role}",
    ):
        cur.execute(sql.SQL(statement).format(schema=schema_id, role=role_id))
    for name in dlt_tables:
        cur.execute(
            sql.SQL("revoke all on {}.{} from {}").format(schema_id, sql.Identifier(name), role_id)
        )


def _load_failure(
    exc: PipelineStepFailed, dsn: str, target: PostgresTarget, schema: str
) -> PublishError:
    """One line: which table failed, the database's reason, what is left as it was."""
    cause = exc.exception
    client_exception = getattr(cause, "client_exception", None)
    if client_exception is not None:
        reason = f"{type(client_exception).__name__}: {_first_line(str(client_exception))}"
    else:
        text = getattr(cause, "failed_message", None) or str(cause)
        errors = [
            line
            for line in text.splitlines()
            if re.match(r"^[\w.]+(Error|Exception\w*|\w+): ", line)
        ]
        reason = errors[-1] if errors else f"{type(cause).__name__}: {_first_line(text)}"
    reason = _scrub(reason, dsn)
    job_id = getattr(cause, "job_id", None)
    if job_id:
        table = job_id.split(".")[0]
        return PublishError(
            f"loading table {table} into PostgreSQL {target}, schema {schema} failed "
            f"({reason}); {table} keeps its previously published rows. If a column changed "
            f"type, drop {schema}.{table} once and publish again"
        )
    return PublishError(
        f"publishing to PostgreSQL {target}, schema {schema} failed at the {exc.step} step "
        f"({reason}): check that the user in PUBLISH_POSTGRES_DSN may create schema {schema} "
        "(PUBLISH_POSTGRES_SCHEMA) and tables in it"
    )


@contextmanager
def _without_arrow_conversion_warnings() -> Iterator[None]:
    """dlt warns once per table that Arrow data is converted for insert_values; intended."""

    def keep(record: logging.LogRecord) -> bool:
        return "native writer could not be found" not in record.getMessage()

    dlt_logger = logging.getLogger("dlt")
    dlt_logger.addFilter(keep)
    try:
        yield
    finally:
        dlt_logger.removeFilter(keep)


def _check_identifier(value: str, setting: str) -> None:
    if not _IDENTIFIER.match(value):
        raise PublishError(
            f"{setting}={value!r} is not a plain PostgreSQL name: use lower-case letters, "
            "digits and underscores, starting with a letter or underscore"
        )


def _duck_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scrub(text: str, dsn: str) -> str:
    """`text` without the DSN or its password, whatever the library put in it."""
    secrets = [dsn]
    try:
        password = parse_dsn(dsn).get("password")
    except psycopg2.ProgrammingError:
        password = None
    if password:
        secrets += [password, quote(password, safe="")]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no details"
