"""The sandbox's compact tables (ingestion/sandbox/tables.py): what goes in comes out, and
records read through the mapping keep what the sandbox's switches change on them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ingestion.sandbox import generator
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.tables import Entity, EntityTable, Record, RecordTable


def test_an_entity_comes_back_as_it_went_in():
    baku = ZoneInfo("Asia/Baku")
    entity = Entity(
        id="1234",
        fields={
            "name": "Şəki – 1234",
            "score": 4,
            "done": False,
            "missing": None,
            "amount": Decimal("1500.50"),
            "start": datetime(2026, 3, 1, tzinfo=baku),
            "stages": [("lead", datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))],
            "current": {"stage": "closedwon"},
        },
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        updated_at=datetime(2026, 2, 2, tzinfo=UTC),
        history={"stage": [("qualifiedtobuy", datetime(2026, 1, 9, 1, 2, 3, 4, tzinfo=UTC))]},
        associations={"companies": ["77"], "contacts": ["78", "79"]},
    )
    table = EntityTable()
    table.add(Entity("999", {"name": "x"}, entity.created_at, entity.created_at))
    table.add(entity)
    back = table["1234"]
    assert back == entity
    assert back.fields["start"].tzinfo == baku and back.fields["start"].hour == 0
    assert type(back.fields["stages"]) is list and type(back.fields["stages"][0]) is tuple
    assert list(table) == ["999", "1234"] and len(table) == 2
    assert "1234" in table and "01234" not in table and "1235" not in table and 1234 not in table
    with pytest.raises(KeyError):
        table["1000"]
    with pytest.raises(ValueError, match="increasing"):
        table.add(Entity("1000", {}, entity.created_at, entity.created_at))


def test_every_generated_entity_comes_back_as_generated(monkeypatch):
    """A whole small organisation, with its event log: each table gives back exactly the
    entities the generator put in (kept aside as the Python objects they were)."""
    put: dict[str, Entity] = {}

    class Keeping(EntityTable):
        def add(self, entity: Entity) -> None:
            super().add(entity)
            put[f"{id(self)}:{entity.id}"] = entity

    monkeypatch.setattr(generator, "EntityTable", Keeping)
    org = Organisation("small", seed=3, days_later=2)
    count = 0
    for table in org.entities.values():
        for key, entity in table.items():
            assert entity == put[f"{id(table)}:{key}"], key
            count += 1
    assert count == len(put) > 30_000


def test_records_read_through_the_mapping_keep_their_changes():
    entities = EntityTable()
    now = datetime(2026, 5, 1, tzinfo=UTC)
    for key in ("10", "20"):
        entities.add(Entity(key, {"name": f"n{key}"}, now, now))
    renders = []

    def render(e: Entity) -> Record:
        renders.append(e.id)
        return Record(e.id, {"name": e.fields["name"]}, e.created_at, e.updated_at)

    table = RecordTable(entities, render)
    assert table.peek("10").properties == {"name": "n10"}
    table.peek("10").properties["name"] = "lost"  # peeked: a fresh rendering each time
    assert table.peek("10").properties["name"] == "n10"
    table["10"].properties["name"] = "kept"
    assert table.peek("10").properties["name"] == "kept" and table["10"] is table["10"]
    table["15"] = Record("15", {"name": "added"}, now, now)
    assert list(table) == ["10", "20", "15"] and len(table) == 3
    assert list(table.numeric_keys()) == [10, 15, 20]
    assert table.peek("15").properties["name"] == "added" and table.peek("30") is None
    assert dict(table.changed()).keys() == {"10", "15"}
    assert {k: r.properties["name"] for k, r in table.items()} == {
        "10": "kept",
        "20": "n20",
        "15": "added",
    }
    with pytest.raises(TypeError, match="never removed"):
        del table["20"]


def test_a_sandbox_without_the_event_log_serves_the_same_records():
    with_log = Organisation("small", seed=5)
    without = Organisation("small", seed=5, keep_log=False)
    assert with_log.events and not without.events
    for object_type, records in with_log.objects.items():
        assert list(records) == list(without.objects[object_type])
        for key in list(records)[::97]:
            assert records.peek(key) == without.objects[object_type].peek(key)
