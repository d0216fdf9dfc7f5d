"""Optional PostgreSQL publish: a serving DuckDB file built here is copied into a throwaway
PostgreSQL server (started from the machine's binaries for this module) with its types,
values and column comments; a second publish replaces the rows; the read-only role reads
but cannot write; a failed publish leaves the published data as it was; the Dagster asset
is off without PUBLISH_POSTGRES_DSN."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest

from ingestion.sandbox.runner import free_port
from orchestration.defs.publish_postgres import publish_postgres
from orchestration.lib.errors import UserFacingError
from orchestration.publish.postgres import (
    PostgresUnavailable,
    PublishError,
    ServingFileMissing,
    publish_to_postgres,
)

ADMIN = "admin"
ADMIN_PASSWORD = "adm1n-s3cret"
READER_PASSWORD = "r3ader-s3cret"


def _pg_bindir() -> Path | None:
    """Server binaries: `pg_config --bindir`, else Debian's /usr/lib/postgresql/<v>/bin."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        proc = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(proc.stdout.strip())
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    for candidate in candidates:
        if candidate and all((Path(candidate) / b).is_file() for b in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


PG_BIN = _pg_bindir()
pytestmark = pytest.mark.skipif(
    PG_BIN is None,
    reason="no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql",
)


@dataclass
class PgServer:
    port: int

    def dsn(self, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/postgres"

    def connect(self, user: str = ADMIN, password: str = ADMIN_PASSWORD):
        conn = psycopg2.connect(self.dsn(user, password))
        conn.autocommit = True
        return conn

    def query(self, statement: str, params: tuple = ()) -> list[tuple]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    """initdb + pg_ctl into a temporary directory, TCP on 127.0.0.1 only, password auth.
    PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""
    root = Path(tempfile.mkdtemp(prefix="pytest_postgres_"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            user = "nobody"
        run_as = ["runuser", "-u", user, "--"]
        shutil.chown(root, user)
    (root / "pw").write_text(ADMIN_PASSWORD + "\n")
    if run_as:
        shutil.chown(root / "pw", run_as[2])
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    data, port = root / "data", free_port()

    def pg_ctl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*run_as, str(PG_BIN / "pg_ctl"), "-D", str(data), *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    try:
        initdb = subprocess.run(
            [
                *run_as,
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                ADMIN,
                f"--pwfile={root / 'pw'}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert initdb.returncode == 0, initdb.stderr
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        started = pg_ctl("-o", options, "-l", str(root / "log"), "-w", "-t", "30", "start")
        if started.returncode != 0:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            pytest.fail(f"pg_ctl start failed: {started.stderr}\n{log}")
        yield PgServer(port)
    finally:
        pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


# --- the serving file ------------------------------------------------------------------

MART = "mart_rep_performance_monthly"
T1 = datetime(2026, 9, 30, 20, 0, tzinfo=UTC)
T2 = datetime(2026, 10, 1, 8, 30, 15, 123456, tzinfo=UTC)

FIRST = {
    MART: [
        ("r1", date(2026, 9, 1), Decimal("41670.690000"), 0.75, True, 6, T1, "top"),
        ("r2", date(2026, 9, 1), Decimal("0.000001"), None, False, 0, None, ""),
        ("r3", date(2026, 8, 1), None, 0.5, None, None, T2, None),
    ],
    "dim_reps": [
        ("r1", "Rəna Bünyadzadə", 10, True),
        ("r2", 'O\'Brien, "Ed"', 10, False),
    ],
    "fct_deals": [
        ("d1", Decimal("1234.567890"), date(2026, 9, 15), True, Decimal("12.500000000"), 2**70),
        ("d2", Decimal("-1.000000"), date(2026, 2, 28), False, None, None),
    ],
}
SECOND = {
    MART: [("r1", date(2026, 10, 1), Decimal("99.990000"), 1.0, True, 1, T2, "new")],
    "dim_reps": [("r1", "Rəna Bünyadzadə", 20, True)],
    "fct_deals": [],
    "dim_teams": [(20, "Şəki")],
}
COLUMNS = {
    MART: "rep_id varchar, month_start date, bookings decimal(38,6), win_rate double, "
    "quota_met boolean, deals_won integer, closed_at timestamptz, note varchar",
    "dim_reps": "rep_id varchar, rep_name varchar, team_id bigint, is_active boolean",
    "fct_deals": "deal_id varchar, amount_home decimal(28,6), close_date date, is_won boolean, "
    "days_to_close decimal(18,9), big_number hugeint",
    "dim_teams": "team_id bigint, team_name varchar",
}
SCHEMA_OF = {MART: "marts", "dim_reps": "core", "fct_deals": "core", "dim_teams": "core"}
BOOKINGS_COMMENT = 'Won deal value in the home currency (AZN); the rep\'s "bookings"'


def build_serving(path: Path, tables: dict[str, list[tuple]], version: int = 1) -> Path:
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("set TimeZone = 'Asia/Baku'")
        for schema in ("marts", "core", "intermediate"):
            con.execute(f"create schema {schema}")
        for name, rows in tables.items():
            qualified = f"{SCHEMA_OF[name]}.{name}"
            con.execute(f"create table {qualified} ({COLUMNS[name]})")
            if rows:
                width = len(rows[0])
                con.executemany(
                    f"insert into {qualified} values ({', '.join(['?'] * width)})", rows
                )
        comment = (BOOKINGS_COMMENT if version == 1 else "Bookings, v2").replace("'", "''")
        con.execute(f"comment on column marts.{MART}.bookings is '{comment}'")
        con.execute(f"comment on column marts.{MART}.closed_at is 'When the deal closed'")
        con.execute(f"comment on table marts.{MART} is 'One row per rep and month'")
        con.execute("comment on column core.dim_reps.rep_name is 'Full name'")
        # Not published: other schemas and views.
        con.execute("create table intermediate.int_hidden as select 1 as x")
        con.execute("create view marts.v_hidden as select 1 as x")
    finally:
        con.close()
    return path


def published(pg: PgServer, schema: str) -> dict[str, list[tuple]]:
    tables = pg.query(
        "select table_name from information_schema.tables where table_schema = %s "
        "and table_name <> 'publication' order by 1",
        (schema,),
    )
    return {t: sorted(pg.query(f'select * from "{schema}"."{t}"'), key=repr) for (t,) in tables}


def column_comments(pg: PgServer, schema: str) -> dict[str, str]:
    return dict(
        pg.query(
            "select c.relname || '.' || a.attname, col_description(c.oid, a.attnum) "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 "
            "where n.nspname = %s and col_description(c.oid, a.attnum) is not null",
            (schema,),
        )
    )


def table_oids(pg: PgServer, schema: str) -> dict[str, int]:
    return dict(
        pg.query(
            "select c.relname, c.oid::bigint from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s "
            "and c.relkind = 'r'",
            (schema,),
        )
    )


def expected(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {name: sorted(rows, key=repr) for name, rows in tables.items()}


# --- publish_to_postgres ---------------------------------------------------------------


def test_every_table_arrives_with_its_types_values_and_comments(pg, tmp_path):
    serving = build_serving(tmp_path / "serving.duckdb", FIRST)
    rows = publish_to_postgres(serving, pg.dsn(), "crm_marts", None)

    assert rows == {MART: 3, "dim_reps": 2, "fct_deals": 2}
    assert published(pg, "crm_marts") == expected(FIRST)  # no view, no other schema

    types = {
        (t, c): (dt, p, s)
        for t, c, dt, p, s in pg.query(
            "select table_name, column_name, data_type, numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = 'crm_marts'"
        )
    }
    assert types[(MART, "bookings")] == ("numeric", 38, 6)
    assert types[(MART, "month_start")][0] == "date"
    assert types[(MART, "closed_at")][0] == "timestamp with time zone"
    assert types[(MART, "win_rate")][0] == "double precision"
    assert types[(MART, "quota_met")][0] == "boolean"
    assert types[(MART, "deals_won")][0] == "integer"
    assert types[(MART, "note")][0] == "character varying"
    assert types[("dim_reps", "team_id")][0] == "bigint"
    assert types[("fct_deals", "amount_home")] == ("numeric", 28, 6)
    assert types[("fct_deals", "days_to_close")] == ("numeric", 18, 9)
    assert types[("fct_deals", "big_number")] == ("numeric", 38, 0)
    # dlt's own columns are not added to Arrow loads
    assert not [c for (t, c) in types if c.startswith("_dlt") and not t.startswith("_dlt")]

    assert column_comments(pg, "crm_marts") == {
        f"{MART}.bookings": BOOKINGS_COMMENT,
        f"{MART}.closed_at": "When the deal closed",
        "dim_reps.rep_name": "Full name",
    }
    assert pg.query(f"select obj_description('crm_marts.{MART}'::regclass, 'pg_class')") == [
        ("One row per rep and month",)
    ]


def test_second_publish_replaces_the_rows(pg, tmp_path):
    serving = tmp_path / "serving.duckdb"
    publish_to_postgres(build_serving(serving, FIRST), pg.dsn(), "crm_replace", None)
    oids = table_oids(pg, "crm_replace")
    rows = publish_to_postgres(build_serving(serving, SECOND, 2), pg.dsn(), "crm_replace", None)

    assert rows == {MART: 1, "dim_reps": 1, "fct_deals": 0, "dim_teams": 1}
    # no duplicates, and a table that became empty is emptied
    assert published(pg, "crm_replace") == expected(SECOND)
    assert column_comments(pg, "crm_replace")[f"{MART}.bookings"] == "Bookings, v2"
    # insert-from-staging refills the same tables (grants, comments, BI views survive)
    after = table_oids(pg, "crm_replace")
    assert {t: after[t] for t in oids} == oids


def test_read_only_role_can_select_but_not_write(pg, tmp_path):
    serving = tmp_path / "serving.duckdb"
    role = "bi_reader"
    publish_to_postgres(build_serving(serving, FIRST), pg.dsn(), "crm_ro", role)
    assert pg.query("select rolcanlogin from pg_roles where rolname = %s", (role,)) == [(False,)]
    # What the README tells an admin to do once
    pg.query(f"alter role {role} login password '{READER_PASSWORD}'")

    reader = pg.connect(role, READER_PASSWORD)
    try:
        with reader.cursor() as cur:
            cur.execute(f"select count(*) from crm_ro.{MART}")
            assert cur.fetchone() == (3,)
            for statement in (
                f"insert into crm_ro.{MART} (rep_id) values ('x')",
                "delete from crm_ro.dim_reps",
                "create table crm_ro.mine (x int)",
                "select * from crm_ro_staging._dlt_loads",
                f"select * from crm_ro_staging.{MART}",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(statement)
    finally:
        reader.close()

    # A later publish keeps the role's login and makes new tables readable.
    publish_to_postgres(build_serving(serving, SECOND, 2), pg.dsn(), "crm_ro", role)
    assert pg.query("select rolcanlogin from pg_roles where rolname = %s", (role,)) == [(True,)]
    reader = pg.connect(role, READER_PASSWORD)
    try:
        with reader.cursor() as cur:
            cur.execute("select team_name from crm_ro.dim_teams")
            assert cur.fetchall() == [("Şəki",)]
    finally:
        reader.close()


def test_a_failed_publish_leaves_the_published_data_intact(pg, tmp_path):
    serving = build_serving(tmp_path / "serving.duckdb", FIRST)
    publish_to_postgres(serving, pg.dsn(), "crm_fail", None)
    before = published(pg, "crm_fail")

    with pytest.raises(ServingFileMissing, match="SERVING_PATH"):
        publish_to_postgres(tmp_path / "missing.duckdb", pg.dsn(), "crm_fail", None)
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"not a duckdb file" * 100)
    with pytest.raises(PublishError, match="SERVING_PATH"):
        publish_to_postgres(corrupt, pg.dsn(), "crm_fail", None)
    # A load that fails in PostgreSQL: a column whose type changed
    changed = tmp_path / "changed.duckdb"
    con = duckdb.connect(str(changed))
    con.execute(f"create schema marts; create table marts.{MART} as select 'x' as deals_won")
    con.close()
    with pytest.raises(
        PublishError,
        match=f"deals_won of crm_fail.{MART} .* every table keeps its previous publish",
    ):
        publish_to_postgres(changed, pg.dsn(), "crm_fail", None)

    assert published(pg, "crm_fail") == before == expected(FIRST)


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://admin:wrong-pass@127.0.0.1:{port}/postgres", "rejected user 'admin'"),
        ("postgresql://admin:wrong-pass@127.0.0.1:{free}/postgres", "cannot reach PostgreSQL"),
        ("postgresql://admin:{password}@127.0.0.1:{port}/nope", "database 'nope' does not"),
        ("host=127.0.0.1 password=wrong-pass", "not a PostgreSQL connection URL"),
    ],
)
def test_connection_errors_are_one_line_naming_the_dsn(pg, tmp_path, dsn, expected):
    serving = build_serving(tmp_path / "serving.duckdb", FIRST)
    dsn = dsn.format(port=pg.port, free=free_port(), password=ADMIN_PASSWORD)
    with pytest.raises(PublishError) as error:
        publish_to_postgres(serving, dsn, "crm_errors", None)
    message = str(error.value)
    assert expected in message and "PUBLISH_POSTGRES_DSN" in message, message
    assert "\n" not in message and "wrong-pass" not in message and ADMIN_PASSWORD not in message
    if "not a PostgreSQL" not in message:
        assert isinstance(error.value, PostgresUnavailable)


# --- the Dagster asset -----------------------------------------------------------------


def test_asset_is_off_without_dsn(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("PUBLISH_POSTGRES_DSN", raising=False)
    result = publish_postgres(dg.build_asset_context())
    assert result.metadata == {"enabled": False, "reason": "PUBLISH_POSTGRES_DSN not set"}


def test_asset_publishes_and_reports_rows_schema_and_host(pg, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    serving = build_serving(tmp_path / "serving.duckdb", FIRST)
    monkeypatch.setenv("SERVING_PATH", str(serving))
    monkeypatch.setenv("PUBLISH_POSTGRES_DSN", pg.dsn())
    monkeypatch.setenv("PUBLISH_POSTGRES_SCHEMA", "crm_asset")
    monkeypatch.setenv("PUBLISH_POSTGRES_READONLY_ROLE", "bi_asset_reader")

    result = dg.materialize([publish_postgres])
    assert result.success
    (materialization,) = result.asset_materializations_for_node("publish__postgres")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert metadata["enabled"] is True
    assert metadata["schema"] == "crm_asset" and metadata["host"] == "127.0.0.1"
    assert metadata["rows_per_table"] == {MART: 3, "dim_reps": 2, "fct_deals": 2}
    assert metadata["total_rows"] == 7
    assert ADMIN_PASSWORD not in repr(metadata)
    assert pg.query("select 1 from pg_roles where rolname = 'bi_asset_reader'") == [(1,)]

    monkeypatch.setenv("SERVING_PATH", str(tmp_path / "missing.duckdb"))
    with pytest.raises(UserFacingError) as error:
        publish_postgres(dg.build_asset_context())
    assert "SERVING_PATH" in str(error.value) and "\n" not in str(error.value)
