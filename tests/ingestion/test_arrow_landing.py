"""Records land as Arrow tables (ingestion/hubspot/arrow_pages.py) in the raw layout dlt's
own normalizer made, with its merge semantics: loading a record again replaces its child
rows, also when it now has none."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.hubspot.source import (
    INCREMENTAL,
    ServedIds,
    hubspot_pipeline,
    new_tables,
    object_resource,
)


def _deal(deal_id: str, stages: list[str], companies: list[str], **properties) -> dict:
    return {
        "id": deal_id,
        "properties": {"dealname": f"deal {deal_id}", **properties},
        "createdAt": "2026-01-02T03:04:05.678Z",
        "updatedAt": "2026-02-03T04:05:06.789Z",
        "archived": False,
        "propertiesWithHistory": {
            "dealstage": [
                {"value": s, "timestamp": f"2026-01-0{i + 1}T00:00:00.000Z", "sourceType": "CRM_UI"}
                for i, s in enumerate(stages)
            ]
        },
        "associations": {
            "companies": {"results": [{"id": c, "type": "deal_to_company"} for c in companies]}
        }
        if companies
        else {},
    }


@pytest.fixture
def land(tmp_path):
    db = tmp_path / "raw.duckdb"
    pipeline = hubspot_pipeline(str(db), str(tmp_path / "pipelines"))

    def run(*pages: list[dict]) -> duckdb.DuckDBPyConnection:
        pipeline.run(object_resource("deals", lambda: iter(pages)), loader_file_format="parquet")
        return duckdb.connect(str(db), read_only=True)

    return run


def _rows(con, sql: str) -> list[tuple]:
    try:
        return sorted(con.execute(sql).fetchall())
    finally:
        con.close()


def test_a_record_loaded_again_replaces_its_child_rows(land):
    land([_deal("1", ["a", "b"], ["10"]), _deal("2", ["a"], ["20", "21"])]).close()
    con = land([_deal("1", [], []), _deal("2", ["c"], ["22"])])
    history = _rows(con, "select deal_id, value from raw_hubspot.deals__property_history")
    con = land()
    companies = _rows(
        con, "select from_id, id from raw_hubspot.deals__associations__companies__results"
    )
    assert history == [("2", "c")]
    assert companies == [("2", "22")]


def test_raw_columns_and_types_are_those_dlt_made(land):
    con = land(
        [
            _deal("1", ["a"], ["10"], amount=12.5, closedate=None),
            {**_deal("2", ["a"], []), "createdAt": "not a date"},
        ]
    )
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_hubspot' and table_name = 'deals'"
        ).fetchall()
    )
    rows = con.execute(
        "select id, properties__amount, properties__closedate, created_at, "
        "_dlt_load_id is not null, created_at__v_text from raw_hubspot.deals order by id"
    ).fetchall()
    parents = con.execute(
        "select count(*) from raw_hubspot.deals__property_history as h "
        "join raw_hubspot.deals as d on d._dlt_id = h._dlt_parent_id and d._dlt_id = h._dlt_root_id"
    ).fetchone()[0]
    con.close()
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["properties__amount"] == "VARCHAR"  # a JSON number is kept as text
    assert types["properties__hs_merged_object_ids"] == "VARCHAR"  # requested, never sent
    assert types["_missing_id"] == "BOOLEAN"
    assert rows[0][:3] == ("1", "12.5", None)
    assert rows[0][3].isoformat() == "2026-01-02T03:04:05.678000+00:00"
    assert rows[1][3] is None  # not a timestamp: kept as text beside it, as dlt did
    assert rows[1][5] == "not a date" and rows[0][5] is None
    assert all(r[4] for r in rows)
    assert parents == 2


def test_an_exact_copy_lands_once_and_a_differing_copy_is_kept_apart(land):
    deal = _deal("1", ["a", "b"], ["10"])
    other = _deal("1", ["a", "c"], ["10"])
    con = land([deal, dict(deal)], [other])
    ids = _rows(con, "select id, _duplicate_of from raw_hubspot.deals")
    con = land()
    history = _rows(con, "select deal_id, value from raw_hubspot.deals__property_history")
    assert ids[0] == ("1", None)
    assert ids[1][0].startswith("1#conflict-") and ids[1][1] == "1"
    assert [v for d, v in history if d == "1"] == ["a", "b"]


def test_a_first_load_appends_each_record_once_and_later_loads_merge(tmp_path):
    db = tmp_path / "raw.duckdb"
    pipeline = hubspot_pipeline(str(db), str(tmp_path / "pipelines"))
    assert new_tables(pipeline) == set(INCREMENTAL)  # no warehouse yet
    served = ServedIds()
    live = [_deal("1", ["a", "b"], ["10"]), _deal("2", ["a"], [])]
    archived = [{**_deal("2", [], []), "archived": True}, {**_deal("3", [], []), "archived": True}]
    pipeline.run(
        [
            object_resource("deals", lambda: iter([live]), first_load=served),
            object_resource("deals", lambda: iter([archived]), archived=True, first_load=served),
        ],
        loader_file_format="parquet",
    )
    dispositions = {t: pipeline.default_schema.get_table(t)["write_disposition"] for t in
                    ("deals", "deals__property_history")}  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    deals = _rows(con, "select id, archived from raw_hubspot.deals")
    con = duckdb.connect(str(db), read_only=True)
    history = _rows(con, "select deal_id, value from raw_hubspot.deals__property_history")
    assert dispositions == {"deals": "append", "deals__property_history": "append"}
    # deal 2, served by both listings (deleted while they were read), lands once
    assert [d for d, _ in deals] == ["1", "2", "3"]
    assert [h for h in history if h[0] == "1"] == [("1", "a"), ("1", "b")]
    assert "deals" not in new_tables(pipeline)

    # the next load merges: deals read again replace their rows, also with none
    pipeline.run(
        object_resource("deals", lambda: iter([[_deal("1", [], []), _deal("3", ["c"], [])]])),
        loader_file_format="parquet",
    )
    con = duckdb.connect(str(db), read_only=True)
    history = _rows(con, "select deal_id, value from raw_hubspot.deals__property_history")
    con = duckdb.connect(str(db), read_only=True)
    deals = _rows(con, "select id from raw_hubspot.deals")
    assert [h for h in history if h[0] != "2"] == [("3", "c")]
    assert deals == [("1",), ("2",), ("3",)]
    assert not list((tmp_path / "pipelines").rglob("*.parquet"))  # loaded files deleted


def test_loading_records_again_warns_of_nothing(land, caplog):
    """The child tables' merge key is declared as dlt declares it (not null): a nightly
    merge logs no warning about Arrow and dlt hints that differ."""
    caplog.set_level("INFO", logger="dlt")
    land([_deal("1", ["a"], ["10"])]).close()
    land([_deal("1", ["a", "b"], ["11"]), _deal("2", [], [])]).close()
    assert not [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_the_first_merge_after_a_first_load_alters_no_table(tmp_path, monkeypatch):
    """A first load's child tables already have the column merges use (`_dlt_deleted`):
    the first nightly merge runs no ALTER TABLE (adding a column rewrote every row, a cost
    that grew with the history)."""
    from dlt.destinations.sql_client import SqlClientBase

    pipeline = hubspot_pipeline(str(tmp_path / "raw.duckdb"), str(tmp_path / "pipelines"))
    first = [_deal("1", ["a", "b"], ["10"]), _deal("2", ["a"], ["20"])]
    pipeline.run(
        object_resource("deals", lambda: iter([first]), first_load=ServedIds()),
        loader_file_format="parquet",
    )
    executed: list[str] = []
    many = SqlClientBase.execute_many

    def recorded(self, statements, *args, **kwargs):
        executed.extend(statements)
        return many(self, statements, *args, **kwargs)

    monkeypatch.setattr(SqlClientBase, "execute_many", recorded)
    pipeline.run(
        object_resource("deals", lambda: iter([[_deal("1", ["c"], [])]])),
        loader_file_format="parquet",
    )
    alters = [s.split("\n")[0] for s in executed if s.lstrip().upper().startswith("ALTER")]
    con = duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)
    history = _rows(con, "select deal_id, value from raw_hubspot.deals__property_history")
    assert executed and alters == []
    assert history == [("1", "c"), ("2", "a")]
