"""Optional PostgreSQL publish target: the serving DuckDB file's `marts` and `core` tables
copied into one PostgreSQL schema, with their comments, a `publication` table and a
read-only role for BI.

Two steps. dlt lands every table in `<schema>_staging` (emptied first, so a type change
there is harmless). Then one PostgreSQL transaction refills every published table from
staging (DELETE and INSERT), rewrites `publication`, the comments and the grants, and
commits. A reader sees all tables of the previous publish or all of the new one, never a
mix: DELETE, unlike TRUNCATE, is MVCC-safe, so even a reader's transaction that began
before the commit keeps seeing the previous rows of every table, and readers never wait.
Anything failing before the commit leaves every table at the previous publish. The
published tables are kept (not dropped and recreated), so their grants and any views BI
users built on them survive a publish.

Secrets: the DSN (with its password) is never logged or put in an error message; logs and
errors name host, port, database, user and schema only.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

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
PUBLICATION_TABLE = "publication"
# dlt's working folders: <prefix><pid>_<random> in the temp folder, removed after each
# publish; those of a killed publish are removed by the next one.
WORK_DIR_PREFIX = "dlt_publish_postgres_"
# Folders named by earlier versions carry no pid: removed once this old.
LEGACY_WORK_DIR_MAX_AGE_S = 24 * 3600
# Rows per Arrow batch read from DuckDB: bounds memory for the largest facts.
BATCH_ROWS = 100_000
CONNECT_TIMEOUT_S = 10
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# PostgreSQL names are at most 63 bytes, and the staging schema adds this.
STAGING_SUFFIX = "_staging"
_RESERVED_ROLES = {"public", "none", "current_user", "session_user", "current_role"}
DSN_FORMAT = "postgresql://user:password@host:5432/database"


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


@dataclass(frozen=True)
class Publication:
    """The serving file's `main.publication` row: what the published data describes."""

    data_as_of: datetime | None
    dagster_run_id: str | None


def describe_dsn(dsn: str) -> PostgresTarget:
    """Host, port, database and user of a `postgresql://user:password@host:port/db` DSN,
    checked. The error never quotes the DSN: any part of it may be (part of) a password."""

    def bad(what: str) -> PublishError:
        return PublishError(
            f"PUBLISH_POSTGRES_DSN {what}: use {DSN_FORMAT} (percent-encode special "
            "characters in the user and password)"
        )

    parts = urlsplit(dsn.strip())
    if parts.scheme not in ("postgresql", "postgres") or not dsn.strip().startswith(
        f"{parts.scheme}://"
    ):
        raise bad("is not a PostgreSQL connection URL")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise bad("has a port that is not a number from 1 to 65535")
    if not parts.hostname:
        raise bad("names no host")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise bad("names no database")
    try:
        parse_dsn(dsn.strip())  # what libpq itself refuses: query parameters, encoding
    except psycopg2.ProgrammingError:
        raise bad("is not a valid PostgreSQL connection URL") from None
    return PostgresTarget(
        host=parts.hostname,
        port=port or 5432,
        database=database,
        user=unquote(parts.username or ""),
    )


def check_schema_name(schema: str) -> None:
    """PUBLISH_POSTGRES_SCHEMA: a plain name that leaves room for `<schema>_staging`."""
    _check_identifier(schema, "PUBLISH_POSTGRES_SCHEMA", 63 - len(STAGING_SUFFIX))
    if schema.startswith("pg_"):
        raise PublishError(
            f"PUBLISH_POSTGRES_SCHEMA={schema!r}: names starting with pg_ are reserved by "
            "PostgreSQL; choose another schema name"
        )


def check_role_name(role: str) -> None:
    """PUBLISH_POSTGRES_READONLY_ROLE (when not empty): a plain name PostgreSQL allows."""
    _check_identifier(role, "PUBLISH_POSTGRES_READONLY_ROLE", 63)
    if role.startswith("pg_") or role in _RESERVED_ROLES:
        raise PublishError(
            f"PUBLISH_POSTGRES_READONLY_ROLE={role!r} is reserved by PostgreSQL: choose "
            "another role name, or set it empty to grant nothing"
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
    serving_path: Path,
    dsn: str,
    schema: str,
    readonly_role: str | None,
    run_id: str | None = None,
) -> dict[str, int]:
    """Replace the tables of PostgreSQL schema `schema` with every table of the serving
    file's `marts` and `core` schemas (same table names) and its `publication` row, all in
    one transaction; copy their comments, and let `readonly_role` (created NOLOGIN when
    missing) read them. `run_id` is recorded when the serving file names no run. Returns
    rows per table.
    """
    serving_path = Path(serving_path)
    check_schema_name(schema)
    if readonly_role:
        check_role_name(readonly_role)
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
    staging = schema + STAGING_SUFFIX
    try:
        tables = _serving_tables(con, serving_path)
        publication = _publication(con, run_id)
        logger.info(
            "publishing %d tables from %s to PostgreSQL %s as %s, schema %s",
            len(tables),
            serving_path.name,
            target,
            target.user,
            schema,
        )
        naming = _land_in_staging(con, tables, dsn, target, schema, staging)
    finally:
        con.close()

    rows = _swap_in(dsn, target, schema, staging, tables, naming, readonly_role, publication)
    logger.info(
        "published %d rows in %d tables to PostgreSQL %s, schema %s",
        sum(rows.values()),
        len(rows),
        target,
        schema,
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
    seen: dict[str, str] = {PUBLICATION_TABLE: "the publish itself"}
    for table in tables.values():
        if table.name in seen:
            raise PublishError(
                f"table {table.name} is in both {seen[table.name]} and {table.schema} of "
                f"{serving_path}; one PostgreSQL schema cannot hold both: rename one model"
            )
        seen[table.name] = table.schema
    return list(tables.values())


def _publication(con: duckdb.DuckDBPyConnection, run_id: str | None) -> Publication:
    """The serving file's as-of moment and run (written by publish/serving_duckdb)."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and table_name = ?",
        [PUBLICATION_TABLE],
    ).fetchone()[0]
    if not exists:
        return Publication(None, run_id)
    row = con.execute(
        "select data_as_of::timestamptz, dagster_run_id from main.publication limit 1"
    ).fetchone()
    if row is None:
        return Publication(None, run_id)
    return Publication(row[0], row[1] or run_id)


def _land_in_staging(
    con: duckdb.DuckDBPyConnection,
    tables: list[ServingTable],
    dsn: str,
    target: PostgresTarget,
    schema: str,
    staging: str,
) -> NamingConvention:
    """Every table into the (emptied) staging schema with dlt: types mapped by dlt."""
    _run_statement(
        dsn,
        target,
        sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(staging)),
        f"empty the staging schema {staging}",
    )
    with _work_dir() as workdir:
        pipeline = dlt.pipeline(
            pipeline_name=PIPELINE_NAME,
            pipelines_dir=str(workdir),
            destination=dlt.destinations.postgres(
                credentials=dsn,
                # Explicit factory arguments win over config.toml or the environment.
                replace_strategy="truncate-and-insert",
            ),
            dataset_name=staging,
            progress=None,
        )
        resources = [
            dlt.resource(_arrow_batches(con, table), name=table.name, write_disposition="replace")
            for table in tables
        ]
        try:
            with _without_arrow_conversion_warnings():
                # insert_values, not csv: dlt's COPY loads an empty string as NULL.
                pipeline.run(resources, loader_file_format="insert_values")
        except PipelineStepFailed as exc:
            raise _load_failure(exc, dsn, target, schema, staging) from None
        return pipeline.default_schema.naming


def _swap_in(
    dsn: str,
    target: PostgresTarget,
    schema: str,
    staging: str,
    tables: list[ServingTable],
    naming: NamingConvention,
    readonly_role: str | None,
    publication: Publication,
) -> dict[str, int]:
    """One transaction: every published table refilled from staging (created when new,
    columns added when new), `publication`, comments and grants. Rows per table."""
    rows: dict[str, int] = {}
    schema_id = sql.Identifier(schema)
    step = f"create or fill the tables of schema {schema}"
    conn = _connect(dsn, target)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("create schema if not exists {}").format(schema_id))
            published_columns = _columns(cur, schema)
            staged_columns = _columns(cur, staging)
            published_names = []
            for table in tables:
                name = naming.normalize_table_identifier(table.name)
                published_names.append(name)
                rows[table.name] = _refill(
                    cur, schema, staging, name, staged_columns[name], published_columns.get(name)
                )
                _comment(cur, sql.Identifier(schema, name), table, naming)
            _write_publication(cur, schema_id, publication)
            published_names.append(PUBLICATION_TABLE)
            if readonly_role:
                step = f"set up role {readonly_role!r}"
                _grant_read_only(cur, schema_id, readonly_role, published_names)
    except _ColumnTypeChanged as exc:
        raise PublishError(str(exc)) from None
    except psycopg2.errors.InsufficientPrivilege as exc:
        reason = _first_line(_scrub(str(exc), dsn))
        if not readonly_role or step.startswith("create"):
            raise PublishError(
                f"user {target.user!r} on PostgreSQL {target} may not {step} ({reason}): let "
                "the user in PUBLISH_POSTGRES_DSN own that schema, or set "
                "PUBLISH_POSTGRES_SCHEMA to a schema it owns; every table keeps its "
                "previous publish"
            ) from None
        raise PublishError(
            f"user {target.user!r} on PostgreSQL {target} may not {step} ({reason}): create "
            f"it once as an admin (CREATE ROLE {readonly_role} NOLOGIN), or set "
            "PUBLISH_POSTGRES_READONLY_ROLE to an existing role or to an empty value to skip "
            "the grants; every table keeps its previous publish"
        ) from None
    except psycopg2.Error as exc:
        reason = f"{type(exc).__name__}: {_first_line(_scrub(str(exc), dsn))}"
        raise PublishError(
            f"publishing to PostgreSQL {target}, schema {schema} failed ({reason}); every "
            "table keeps its previous publish"
        ) from None
    finally:
        conn.close()
    return rows


class _ColumnTypeChanged(Exception):
    pass


def _columns(cur: PgCursor, schema: str) -> dict[str, dict[str, str]]:
    """Table -> column -> its type as PostgreSQL writes it, in column order."""
    cur.execute(
        "select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
        "where n.nspname = %s and c.relkind in ('r', 'p') order by c.relname, a.attnum",
        (schema,),
    )
    columns: dict[str, dict[str, str]] = {}
    for table, column, type_ in cur.fetchall():
        columns.setdefault(table, {})[column] = type_
    return columns


def _refill(
    cur: PgCursor,
    schema: str,
    staging: str,
    name: str,
    staged: dict[str, str],
    published: dict[str, str] | None,
) -> int:
    """Replace the rows of `schema.name` with those of `staging.name`; the number of rows.

    A new table is created like the staged one; a new column is added (a column the serving
    file no longer has stays, NULL). A changed type fails the publish: converting it would
    break views built on the column, so the user decides."""
    table = sql.Identifier(schema, name)
    if published is None:
        cur.execute(
            sql.SQL("create table {} (like {})").format(table, sql.Identifier(staging, name))
        )
    else:
        for column, type_ in staged.items():
            if column not in published:
                cur.execute(
                    sql.SQL("alter table {} add column {} " + type_).format(
                        table, sql.Identifier(column)
                    )
                )
            elif published[column] != type_:
                raise _ColumnTypeChanged(
                    f"column {column} of {schema}.{name} in PostgreSQL is {published[column]} "
                    f"but is now {type_}: drop table {schema}.{name} once and publish again; "
                    "every table keeps its previous publish"
                )
    # DELETE, not TRUNCATE: a reader's snapshot taken before the commit keeps its rows.
    cur.execute(sql.SQL("delete from {}").format(table))
    column_list = sql.SQL(", ").join(sql.Identifier(c) for c in staged)
    cur.execute(
        sql.SQL("insert into {} ({}) select {} from {}").format(
            table, column_list, column_list, sql.Identifier(staging, name)
        )
    )
    return cur.rowcount


def _comment(
    cur: PgCursor, table_id: sql.Identifier, table: ServingTable, naming: NamingConvention
) -> None:
    cur.execute(
        sql.SQL("comment on table {} is {}").format(table_id, sql.Literal(table.comment or None))
    )
    for column, comment in table.column_comments.items():
        cur.execute(
            sql.SQL("comment on column {}.{} is {}").format(
                table_id,
                sql.Identifier(naming.normalize_identifier(column)),
                sql.Literal(comment or None),
            )
        )


def _write_publication(cur: PgCursor, schema_id: sql.Identifier, publication: Publication) -> None:
    table = sql.SQL("{}.{}").format(schema_id, sql.Identifier(PUBLICATION_TABLE))
    cur.execute(
        sql.SQL(
            "create table if not exists {} (published_at timestamp with time zone not null, "
            "data_as_of timestamp with time zone, dagster_run_id text)"
        ).format(table)
    )
    cur.execute(sql.SQL("delete from {}").format(table))
    cur.execute(
        sql.SQL("insert into {} values (now(), %s, %s)").format(table),
        (publication.data_as_of, publication.dagster_run_id),
    )
    cur.execute(
        sql.SQL("comment on table {} is {}").format(
            table,
            sql.Literal(
                "When these tables were published, the moment their CRM data describes, and "
                "the Dagster run that built them."
            ),
        )
    )


def _grant_read_only(
    cur: PgCursor, schema_id: sql.Identifier, role: str, table_names: list[str]
) -> None:
    """A NOLOGIN role when missing (an admin gives it a password: see README); SELECT on the
    published tables now and on every table created in the schema later."""
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    role_id = sql.Identifier(role)
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} nologin").format(role_id))
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, role_id))
    cur.execute(
        sql.SQL("grant select on {} to {}").format(
            sql.SQL(", ").join(
                sql.SQL("{}.{}").format(schema_id, sql.Identifier(t)) for t in table_names
            ),
            role_id,
        )
    )
    cur.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
            schema_id, role_id
        )
    )


def _connect(dsn: str, target: PostgresTarget) -> psycopg2.extensions.connection:
    try:
        return psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg2.OperationalError as exc:
        raise PostgresUnavailable(
            f"cannot reach PostgreSQL at {target.host}:{target.port} "
            f"({_first_line(_scrub(str(exc), dsn))}): check PUBLISH_POSTGRES_DSN"
        ) from None


def _run_statement(dsn: str, target: PostgresTarget, statement: sql.Composable, what: str) -> None:
    conn = _connect(dsn, target)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement)
    except psycopg2.Error as exc:
        reason = _first_line(_scrub(str(exc), dsn))
        raise PublishError(
            f"user {target.user!r} on PostgreSQL {target} could not {what} ({reason}): let "
            "the user in PUBLISH_POSTGRES_DSN own it, or set PUBLISH_POSTGRES_SCHEMA to "
            "another schema; every table keeps its previous publish"
        ) from None
    finally:
        conn.close()


@contextmanager
def _work_dir() -> Iterator[Path]:
    """dlt's working folder for one publish, removed afterwards. A killed publish cannot
    remove its own, so each publish first removes those of processes no longer alive."""
    root = Path(tempfile.gettempdir())
    remove_dead_work_dirs(root)
    path = Path(tempfile.mkdtemp(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}_", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_dead_work_dirs(root: Path) -> list[Path]:
    """Remove `root`'s publish working folders whose process has died; the removed ones."""
    removed = []
    for path in root.glob(f"{WORK_DIR_PREFIX}*"):
        owner = re.match(rf"{WORK_DIR_PREFIX}(\d+)_", path.name)
        try:
            if owner:
                dead = not _alive(int(owner.group(1)))
            else:
                dead = time.time() - path.stat().st_mtime > LEGACY_WORK_DIR_MAX_AGE_S
        except OSError:
            continue
        if dead and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    if removed:
        logger.info("removed %d working folders of killed publishes", len(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OverflowError:
        return False
    return True


def _load_failure(
    exc: PipelineStepFailed, dsn: str, target: PostgresTarget, schema: str, staging: str
) -> PublishError:
    """One line: which table failed, the database's reason; nothing published changed."""
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
            f"loading table {table} into PostgreSQL {target}, schema {staging} failed "
            f"({reason}); every table of schema {schema} keeps its previous publish"
        )
    return PublishError(
        f"publishing to PostgreSQL {target}, schema {schema} failed at the {exc.step} step "
        f"({reason}): check that the user in PUBLISH_POSTGRES_DSN may create schema {staging} "
        "and tables in it (PUBLISH_POSTGRES_SCHEMA); every table keeps its previous publish"
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


def _check_identifier(value: str, setting: str, max_length: int) -> None:
    if not _IDENTIFIER.match(value) or len(value) > max_length:
        raise PublishError(
            f"{setting}={value!r} is not a plain PostgreSQL name: use up to {max_length} "
            "lower-case letters, digits and underscores, starting with a letter or underscore"
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
