"""The lake's raw tables (WAREHOUSE_ENGINE=spark): dlt's filesystem destination appends every
load, and the current rows read from its files (ingestion/lake.py) are what the DuckDB
destination's merge keeps for the same loads: a changed record, a child table's rows
replaced and removed by a tombstone, a nested table, a column added later, a first load
appended without keys."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pytest

from ingestion.lake import current_rows_sql, duckdb_history, lake_tables, spark_registration

DELETED = {"name": "_dlt_deleted", "data_type": "bool", "nullable": True, "hard_delete": True}

NIGHTS = [
    {
        "deals": [
            {"id": "1", "amount": "10", "owners": [{"team": "a"}]},
            {"id": "2", "amount": "20", "owners": [{"team": "b"}, {"team": "c"}]},
        ],
        "history": [
            {"deal_id": "1", "value": "x"},
            {"deal_id": "2", "value": "y"},
            {"deal_id": "2", "value": "z"},
        ],
    },
    {
        "deals": [
            {"id": "2", "amount": "25", "stage": "won", "owners": [{"team": "d"}]},
            {"id": "3", "amount": "30", "owners": []},
        ],
        "history": [
            {"deal_id": "1", "_dlt_deleted": True},  # deal 1 has no history rows any more
            {"deal_id": "2", "value": "y2"},
            {"deal_id": "3", "value": "w"},
        ],
    },
]


def load(destination, dataset: str, pipelines: Path, night: int) -> None:
    data = NIGHTS[night]
    first = night == 0

    @dlt.resource(name="deals", primary_key="id", write_disposition="merge")
    def deals():
        yield data["deals"]

    history_hints = (
        {"write_disposition": "append", "primary_key": []}
        if first  # as the connector's first load: nothing to replace, no key
        else {"write_disposition": "merge", "primary_key": [], "merge_key": "deal_id"}
    )

    @dlt.resource(name="history", columns=[DELETED], **history_hints)
    def history():
        yield data["history"]

    pipeline = dlt.pipeline(
        f"lake_test_{dataset}",
        destination=destination,
        dataset_name=dataset,
        pipelines_dir=str(pipelines),
    )
    pipeline.run([deals(), history()], loader_file_format="parquet").raise_on_failed_jobs()


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("lake")
    lake, warehouse = root / "lake", root / "warehouse.duckdb"
    for night in range(len(NIGHTS)):
        load(dlt.destinations.filesystem(bucket_url=str(lake)), "raw_x", root / "p1", night)
        load(dlt.destinations.duckdb(str(warehouse)), "raw_x", root / "p2", night)
    return lake, warehouse


def rows(con, sql: str, columns: list[str]) -> list[tuple]:
    return sorted(con.execute(f"select {', '.join(columns)} from ({sql}) as t").fetchall())


def test_current_rows_equal_the_merge_of_the_duckdb_destination(both):
    lake, warehouse = both
    tables = {t.name: t for t in lake_tables(lake, "raw_x")}
    assert set(tables) == {"deals", "deals__owners", "history"}
    assert tables["history"].merge_key == ("deal_id",)  # declared by the second load only
    assert tables["deals__owners"].parent is tables["deals"]
    compared = {
        "deals": ["id", "amount", "stage"],
        "deals__owners": ["team"],
        "history": ["deal_id", "value"],
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, columns in compared.items():
            current = current_rows_sql(tables[name], duckdb_history(lake))
            merged = f"select * from raw_x.{name}"
            assert rows(con, current, columns) == rows(con, merged, columns), name
        assert rows(con, current_rows_sql(tables["history"], duckdb_history(lake)), ["value"]) == [
            ("w",),
            ("y2",),
        ]


def test_spark_registration_reads_the_same_rows_as_a_sql_text(both):
    lake, _ = both
    registered = {t["table"]: t for t in spark_registration(lake, ["raw_x"])}
    assert registered["deals"]["location"] == str((lake / "raw_x" / "deals").resolve())
    assert "`raw_x_loads`.`deals`" in registered["deals"]["current_rows"]
    assert "`raw_x_loads`.`deals`" in registered["deals__owners"]["current_rows"]
