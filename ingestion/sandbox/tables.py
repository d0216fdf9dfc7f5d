"""Compact tables of a generated organisation's records, so that the large preset fits in
memory: held as Python objects, a record cost about 3 KB (a dict per record, a string per
value, a datetime per timestamp), ~40 GiB for the large preset's 13.5M records.

`EntityTable`: one kind of the organisation's records in its own words (generator.py),
each packed into a small `bytes` (its two timestamps, then `marshal` of its fields, history
and associations) in id order, and read back as an `Entity` when asked. Entities do not
change once generated, so handing out a new `Entity` per read is safe.

`RecordTable`: one CRM object type as a mapping id -> `Record`, rendered from an entity
table by the CRM's renderer (hubspot_records.py) when asked. A record read through the
mapping (`table[id]`, `get`, `items()`, `values()`) is kept, so that what the sandbox's
switches change on it (drift.py, bad_records.py) stays; `peek` renders a record without
keeping it, which is how the server reads records to serve them.
"""

from __future__ import annotations

import bisect
import marshal
import struct
from array import array
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_TIMES = struct.Struct("<qq")  # created_at, updated_at as epoch microseconds
# A field value that is a datetime or a Decimal is packed as a tuple led by one of these.
_DATETIME = "\x00datetime"
_DECIMAL = "\x00decimal"


@dataclass
class Record:
    """One CRM object as the API serves it; property values are strings, as in HubSpot."""

    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    history: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    associations: dict[str, list[str]] = field(default_factory=dict)
    archived: bool = False
    # Set on a record merged into another: it leaves every listing and search, as in HubSpot.
    merged_into: str | None = None


@dataclass
class Entity:
    """One record of the organisation in its own words (fields and, for a deal, the history
    of its changing values); hubspot_records.py renders it as HubSpot serves it."""

    id: str
    fields: dict
    created_at: datetime
    updated_at: datetime
    history: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    associations: dict[str, list[str]] = field(default_factory=dict)


def _micros(ts: datetime) -> int:
    return (ts - EPOCH) // MICROSECOND


def _utc(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _pack_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is UTC:
            return (_DATETIME, _micros(value))
        return (_DATETIME, _micros(value), str(value.tzinfo))
    if isinstance(value, Decimal):
        return (_DECIMAL, str(value))
    if isinstance(value, list):
        return [_pack_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_pack_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _pack_value(v) for k, v in value.items()}
    return value


def _unpack_value(value):
    if isinstance(value, tuple):
        if value and value[0] == _DATETIME:
            ts = _utc(value[1])
            return ts if len(value) == 2 else ts.astimezone(ZoneInfo(value[2]))
        if value and value[0] == _DECIMAL:
            return Decimal(value[1])
        return tuple(_unpack_value(v) for v in value)
    if isinstance(value, list):
        return [_unpack_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _unpack_value(v) for k, v in value.items()}
    return value


def _unpack_field(value):
    return _unpack_value(value) if type(value) in _PACKED_TYPES else value


_PACKED_TYPES = (tuple, list, dict)


class EntityTable(Mapping[str, Entity]):
    """One kind's entities, packed, in increasing id order (the order they are generated)."""

    def __init__(self) -> None:
        self._ids = array("q")
        self._packed: list[bytes] = []
        self._shapes: list[tuple[str, ...]] = []  # the field names of a record, in order
        self._shape_numbers: dict[tuple[str, ...], int] = {}

    def add(self, entity: Entity) -> None:
        key = int(entity.id)
        if str(key) != entity.id or (self._ids and key <= self._ids[-1]):
            raise ValueError(f"entity ids are added as increasing numbers, got {entity.id!r}")
        names = tuple(entity.fields)
        shape = self._shape_numbers.setdefault(names, len(self._shapes))
        if shape == len(self._shapes):
            self._shapes.append(names)
        if entity.created_at.tzinfo is not UTC or entity.updated_at.tzinfo is not UTC:
            raise ValueError("an entity's created_at and updated_at are UTC datetimes")
        history = {
            name: [(value, _micros(ts)) for value, ts in changes]
            for name, changes in entity.history.items()
        }
        rest = (shape, _pack_value(tuple(entity.fields.values())), history, entity.associations)
        self._ids.append(key)
        self._packed.append(
            _TIMES.pack(_micros(entity.created_at), _micros(entity.updated_at))
            + marshal.dumps(rest)
        )

    def ids(self) -> array:
        """Every id as a number, in increasing order (a copy)."""
        return array("q", self._ids)

    def _position(self, key: object) -> int | None:
        try:
            number = int(key)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        i = bisect.bisect_left(self._ids, number)
        if i < len(self._ids) and self._ids[i] == number and str(number) == key:
            return i
        return None

    def __getitem__(self, key: str) -> Entity:
        entity = self.get(key)
        if entity is None:
            raise KeyError(key)
        return entity

    def get(self, key: str, default: None = None) -> Entity | None:
        i = self._position(key)
        if i is None:
            return default
        packed = self._packed[i]
        created, updated = _TIMES.unpack_from(packed)
        shape, values, history, associations = marshal.loads(memoryview(packed)[_TIMES.size :])
        return Entity(
            id=key,
            fields=dict(zip(self._shapes[shape], map(_unpack_field, values), strict=True)),
            created_at=(created_at := _utc(created)),
            updated_at=created_at if updated == created else _utc(updated),
            history={
                name: [(value, _utc(ts)) for value, ts in changes]
                for name, changes in history.items()
            }
            if history
            else {},
            associations=associations,
        )

    def __contains__(self, key: object) -> bool:
        return self._position(key) is not None

    def __iter__(self) -> Iterator[str]:
        return (str(number) for number in self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class RecordTable(MutableMapping[str, Record]):
    """One CRM object type's records, rendered from the organisation's entities when read.

    Records read through the mapping, and records added to it (the sandbox's bad records),
    are kept: changes made to them stay. `peek` reads without keeping."""

    def __init__(self, entities: EntityTable, render: Callable[[Entity], Record]):
        self._entities = entities
        self._render = render
        self._kept: dict[str, Record] = {}
        self._added: list[str] = []  # keys no entity has, in the order they were added

    def peek(self, key: str) -> Record | None:
        """The record under key as served now, or None; not kept."""
        record = self._kept.get(key)
        if record is None:
            entity = self._entities.get(key)
            if entity is not None:
                record = self._render(entity)
        return record

    def numeric_keys(self) -> array:
        """Every key as a number, in increasing order (keys are numeric, bad records' too)."""
        keys = self._entities.ids()
        if self._added:
            keys = array("q", sorted([*keys, *(int(k) for k in self._added)]))
        return keys

    def changed(self) -> Iterator[tuple[str, Record]]:
        """The records that may differ from their rendering: read through the mapping
        (and so perhaps changed) or added."""
        return iter(self._kept.items())

    def __getitem__(self, key: str) -> Record:
        record = self._kept.get(key)
        if record is None:
            record = self._kept[key] = self._render(self._entities[key])
        return record

    def __setitem__(self, key: str, record: Record) -> None:
        if key not in self._kept and key not in self._entities:
            self._added.append(key)
        self._kept[key] = record

    def __delitem__(self, key: str) -> None:
        raise TypeError("CRM records are archived or merged, never removed from the sandbox")

    def __contains__(self, key: object) -> bool:
        return key in self._kept or key in self._entities

    def __iter__(self) -> Iterator[str]:
        yield from self._entities
        yield from self._added

    def __len__(self) -> int:
        return len(self._entities) + len(self._added)
