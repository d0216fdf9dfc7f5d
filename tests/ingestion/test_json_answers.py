"""Listing answers parsed by Arrow (ingestion/hubspot/json_answers.py) land exactly as the
Python path lands the same records, and every answer that does not fit takes that path."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pytest

from ingestion.hubspot import json_answers
from ingestion.hubspot.json_answers import (
    Answer,
    NumericIds,
    Shape,
    answer_tables,
    first_ids,
    next_after,
    numeric_keys,
    parse,
)
from ingestion.hubspot.source import hubspot_pipeline, hubspot_source, object_resource
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import sandbox_process

DEALS = Shape(("dealname", "amount"), associations=("companies",), history=("dealstage",))


def _deal(deal_id: str | None, amount: object = "10.5", **extra) -> dict:
    return {
        "id": deal_id,
        "properties": {"dealname": f"deal {deal_id}", "amount": amount, "hs_object_id": deal_id},
        "createdAt": "2026-01-02T03:04:05.678Z",
        "updatedAt": "2026-02-03T04:05:06.789Z",
        "archived": False,
        "propertiesWithHistory": {
            "dealstage": [
                {"value": "b", "timestamp": "2026-01-03T00:00:00.000Z", "sourceType": "CRM_UI"},
                {"value": "a", "timestamp": "2026-01-02T00:00:00.000Z", "sourceType": "CRM_UI"},
            ]
        },
        "associations": {"companies": {"results": [{"id": "10", "type": "deal_to_company"}]}},
        **extra,
    }


def _answer(*records: dict, after: str | None = None) -> bytes:
    body: dict = {"results": list(records)}
    if after:
        body["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
    return orjson.dumps(body)


def test_answers_that_fit_are_parsed_in_order():
    records = parse([_answer(_deal("1"), after="2"), _answer(_deal("2"))], DEALS)
    assert records is not None
    assert records.field("id").to_pylist() == ["1", "2"]
    assert records[0]["properties"]["amount"].as_py() == "10.5"


@pytest.mark.parametrize(
    "record",
    [
        _deal("1", amount=10.5),  # a JSON number where HubSpot sends text
        _deal("1", amount={"value": "1"}),  # an object
        _deal("1", url="https://app.hubspot.com/"),  # a record-level key nobody asked for
        {**_deal("1"), "properties": {"dealname": "x", "score": "5"}},  # a property not asked
        {**_deal("1"), "archived": "false"},  # text where a boolean is expected
    ],
)
def test_answers_that_do_not_fit_take_the_python_path(record):
    assert parse([_answer(_deal("0")), _answer(record)], DEALS) is None


def test_keys_the_raw_tables_never_keep_may_be_anything():
    deal = _deal("1")
    deal["propertiesWithHistory"]["dealstage"][0]["sourceId"] = 42
    deal["associations"]["companies"]["paging"] = {"next": {"after": 3}}
    records = parse([_answer(deal, after="5")], DEALS)
    assert records is not None and records.type == json_answers.record_type(DEALS)
    assert parse([orjson.dumps({"results": [_deal("1")]}).replace(b"{", b"{\n", 1)], DEALS)


def test_the_next_cursor_is_read_from_the_answer_tail_or_the_whole_answer():
    assert next_after(_answer(_deal("1"), after="250")) == "250"
    assert next_after(_answer(_deal("1"))) is None
    first = orjson.dumps({"paging": {"next": {"after": "7"}}, "results": [_deal("1")]})
    assert next_after(first) == "7"  # paging before results: parsed whole
    named = _deal("1")
    named["properties"]["paging"] = "x"  # a key named paging in a record
    assert next_after(_answer(named)) is None
    assert next_after(_answer(named, after="9")) == "9"


def test_the_lowest_associated_id_is_picked_as_numbers_compare():
    lists = pa.array(
        [[{"id": "10"}, {"id": "9"}, {"id": "100"}], [], None, [{"id": "7"}]],
        type=pa.list_(pa.struct([("id", pa.string())])),
    )
    assert first_ids(lists).to_pylist() == ["9", None, None, "7"]


@pytest.fixture
def land(tmp_path):
    db = tmp_path / "raw.duckdb"
    pipeline = hubspot_pipeline(str(db), str(tmp_path / "pipelines"))
    clock = datetime(2026, 6, 1, tzinfo=UTC)

    def run(*pages: bytes | list[dict]) -> duckdb.DuckDBPyConnection:
        items = [Answer(p) if isinstance(p, bytes) else p for p in pages]
        resource = object_resource("deals", lambda: iter(items), crm_clock=clock)
        pipeline.run(resource, loader_file_format="parquet")
        return duckdb.connect(str(db), read_only=True)

    return pipeline, run


def test_a_record_served_again_after_a_parsed_copy_is_compared_with_it(land):
    pipeline, run = land
    later = _deal("1")
    later["properties"]["dealname"] = "renamed"
    con = run(_answer(_deal("1"), _deal("2")), _answer(_deal("1")), _answer(later, _deal("3")))
    ids = con.execute("select id, _duplicate_of from raw_hubspot.deals order by id").fetchall()
    history = con.execute(
        "select deal_id, value from raw_hubspot.deals__property_history where deal_id = '1'"
    ).fetchall()
    con.close()
    # the exact copy is dropped, the differing one kept apart for the quarantine
    assert [i for i, _ in ids if "#" not in i] == ["1", "2", "3"]
    assert len(ids) == 4 and ids[1][0].startswith("1#conflict-") and ids[1][1] == "1"
    assert sorted(history) == [("1", "a"), ("1", "b")]


def test_the_cursor_is_the_newest_updated_at_landed_up_to_the_crm_clock(land):
    pipeline, run = land
    future = {**_deal("2"), "updatedAt": "2099-01-01T00:00:00.000Z"}
    odd = {**_deal("3"), "updatedAt": "not a date"}
    run(_answer(_deal("1"), future, odd)).close()
    state = pipeline.state["sources"][pipeline.default_schema_name]["resources"]["deals"]
    assert state["newest_updated_at"] == "2026-02-03T04:05:06.789Z"


def _raw_tables(path) -> dict[str, list[tuple]]:
    """Every raw table's rows, with dlt's row ids replaced by the record's id."""
    con = duckdb.connect(str(path), read_only=True)
    out = {}
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = "
            "'raw_hubspot' and table_name not like '\\_dlt%' escape '\\' "
            "and table_name not in ('extractions')"
        ).fetchall()
    ]
    for table in tables:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'raw_hubspot' and table_name = ? and column_name not in "
                "('_dlt_id', '_dlt_load_id') order by column_name",
                [table],
            ).fetchall()
        ]
        root = table.split("__")[0]
        select = ", ".join(
            f"(select r.id from raw_hubspot.{root} r where r._dlt_id = t.{c})"
            if c in ("_dlt_parent_id", "_dlt_root_id")
            else f"t.{c}"
            for c in columns
        )
        rows = con.execute(f"select {select} from raw_hubspot.{table} t").fetchall()
        out[table] = (columns, sorted(rows, key=repr))
    con.close()
    return out


def _first_load(sb, path, monkeypatch, python_path: bool) -> tuple[dict, int]:
    """The raw tables of a first load, and how many records landed from parsed answers."""
    path.parent.mkdir(parents=True)
    parsed = []

    def counted(records, *args, **kwargs):
        parsed.append(len(records))
        return answer_tables(records, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr("ingestion.hubspot.source.answer_tables", counted)
        if python_path:
            m.setattr("ingestion.hubspot.source.parse", lambda bodies, shape: None)
        pipeline = hubspot_pipeline(str(path), str(path.parent / ".dlt"))
        pipeline.run(
            hubspot_source(sb.base_url, sb.token, max_requests_per_10s=10_000),
            loader_file_format="parquet",
        )
    return _raw_tables(path), sum(parsed)


@pytest.mark.parametrize("bad_records", [False, True])
def test_a_first_load_through_arrow_equals_the_python_path(bad_records, tmp_path, monkeypatch):
    """Whole listings of the sandbox (with every non-blocking bad record: those answers
    take the Python path), landed both ways: the same raw tables, row for row."""
    extra = ("--bad-records", "all-non-blocking") if bad_records else ()
    with sandbox_process("small", 42, extra_args=extra) as sb:
        arrow, parsed = _first_load(sb, tmp_path / "arrow" / "raw.duckdb", monkeypatch, False)
        python, none = _first_load(sb, tmp_path / "python" / "raw.duckdb", monkeypatch, True)
    records = sum(len(r) for r in Organisation("small", 42).objects.values())
    assert none == 0 and parsed > records * (0.9 if bad_records else 0.99)
    assert arrow.keys() == python.keys()
    for table in python:
        assert arrow[table][0] == python[table][0], table  # columns
        assert arrow[table][1] == python[table][1], table  # rows
    assert len(arrow["deals"][1]) >= len(Organisation("small", 42).objects["deals"])


def test_ids_are_kept_as_numbers_only_when_written_as_hubspot_writes_them():
    assert numeric_keys(pa.array(["10", "9", "12345678901"])).tolist() == [10, 9, 12345678901]
    for odd in (["007"], ["1", ""], ["1", None], ["12a"], ["+5"], ["99999999999999999999"]):
        assert numeric_keys(pa.array(odd, pa.string())) is None, odd
    ids = NumericIds()
    ids.add(np.array([5, 7, 9]), np.array([50, 70, 90], dtype=np.uint64))
    ids.add(np.array([3, 1]))  # not in order: sorted
    assert ids.any_of(np.array([8, 9])) and not ids.any_of(np.array([2, 4, 6, 10]))
    assert ids.get(7) == (True, 70) and ids.get(1) == (True, None) and ids.get(4)[0] is False


def test_a_listing_that_never_fits_stops_being_parsed_by_arrow(land, monkeypatch):
    """Every answer carries a property nobody asked for (a column on the Python path): after
    MISFITS_TRIED such answers the lander stops parsing them by Arrow first."""
    from ingestion.hubspot import source

    pipeline, run = land
    calls = []
    monkeypatch.setattr(source.PageLander, "BUILD_BYTES", 1)  # each answer its own batch
    monkeypatch.setattr(source, "parse", lambda *a: calls.append(1) or parse(*a))
    answers = []
    for i in range(1, 31):
        deal = _deal(str(i))
        deal["properties"]["score"] = str(i)
        answers.append(_answer(deal))
    con = run(*answers)
    rows = con.execute("select id, properties__score from raw_hubspot.deals").fetchall()
    con.close()
    assert sorted(rows, key=lambda r: int(r[0])) == [(str(i), str(i)) for i in range(1, 31)]
    assert len(calls) == source.MISFITS_TRIED + 1
