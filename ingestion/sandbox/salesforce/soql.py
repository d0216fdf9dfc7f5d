"""The SOQL the sandbox understands, as Salesforce's SOQL reference writes it:

    SELECT field, ... | COUNT() FROM Object
    [WHERE field op value [AND field op value ...]]
    [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]

with op one of = != <> < <= > >= and [NOT] IN (value, ...); values are 'text' (backslash
escapes), numbers, true, false, null, dates (2024-01-05) and datetimes
(2024-01-05T10:00:00Z, or with an offset), unquoted. Keywords, object and field names are
case-insensitive, and so are text comparisons. Anything else is refused as Salesforce
refuses a query: MALFORMED_QUERY (with the fragment, a caret and the column), INVALID_TYPE
for an unknown object, INVALID_FIELD for an unknown field or a value of the wrong type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ingestion.sandbox.salesforce.objects import FIELDS, Field

TOKEN = re.compile(
    r"""\s*(?:
        (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
      | (?P<date>\d{4}-\d{2}-\d{2})(?![\d:T])
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
DATETIME_TYPES = {"datetime"}
NUMBER_TYPES = {"currency", "percent", "double", "int"}


class SoqlError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Token:
    kind: str
    text: str
    value: object
    column: int  # 1-based, as Salesforce reports it


@dataclass
class Query:
    object_name: str
    fields: list[str]  # [] for COUNT()
    where: list[Callable[[dict], bool]] = field(default_factory=list)
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, desc, nulls first
    limit: int | None = None

    @property
    def count_only(self) -> bool:
        return not self.fields

    def run(self, rows: list[dict]) -> list[dict]:
        kept = [r for r in rows if all(test(r) for test in self.where)]
        for name, desc, nulls_first in reversed(self.order):
            present = [r for r in kept if r[name] is not None]
            missing = [r for r in kept if r[name] is None]
            present.sort(key=lambda r, n=name: _sortable(r[n]), reverse=desc)
            kept = missing + present if nulls_first else present + missing
        return kept if self.limit is None else kept[: self.limit]


def _sortable(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _tokens(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            start = len(text) - len(text[pos:].lstrip())
            raise _malformed(text, start, text[start:].split()[0][:1] or text[start])
        kind = m.lastgroup or ""
        raw = m.group(kind)
        tokens.append(Token(kind, raw, _literal(kind, raw), m.start(kind) + 1))
        pos = m.end()
    return tokens


def _literal(kind: str, raw: str) -> object:
    if kind == "datetime":
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "number":
        return Decimal(raw)
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if kind == "word" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return None


def _malformed(text: str, column: int, token: str) -> SoqlError:
    """A syntax error at a 0-based column."""
    return _error_at(text, column, f"unexpected token: '{token}'", "MALFORMED_QUERY")


def _located(text: str, token: Token, message: str, code: str) -> SoqlError:
    return _error_at(text, token.column - 1, message, code)


def _error_at(text: str, column: int, message: str, code: str) -> SoqlError:
    """Salesforce's message: the query around the 0-based column, a caret under it, the
    1-based column, then what is wrong."""
    start = max(0, column - 40)
    fragment = text[start : column + 40]
    caret = " " * (column - start) + "^"
    return SoqlError(code, f"\n{fragment}\n{caret}\nERROR at Row:1:Column:{column + 1}\n{message}")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.i += 1
        return token

    def word(self, *expected: str) -> Token:
        token = self.take()
        if token.kind != "word" or (expected and token.text.upper() not in expected):
            raise _malformed(self.text, token.column - 1, token.text)
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.upper() == word:
            self.i += 1
            return True
        return False

    def punct(self, char: str) -> None:
        token = self.take()
        if token.text != char:
            raise _malformed(self.text, token.column - 1, token.text)


def parse(text: str, objects: dict[str, list[Field]] = FIELDS) -> Query:
    """The query, checked against the org's objects and their fields."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "SOQL statements cannot be empty or null")
    p = _Parser(text)
    p.word("SELECT")
    selected: list[Token] = []
    if p.keyword("COUNT"):
        p.punct("(")
        p.punct(")")
    else:
        selected.append(p.word())
        while p.peek() is not None and p.peek().text == ",":
            p.take()
            selected.append(p.word())
    p.word("FROM")
    obj = p.word()
    names = {n.lower(): n for n in objects}
    if obj.text.lower() not in names:
        raise _located(
            text,
            obj,
            f"sObject type '{obj.text}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
            "INVALID_TYPE",
        )
    object_name = names[obj.text.lower()]
    types = {f.name.lower(): f for f in objects[object_name]}

    def field_of(token: Token):
        found = types.get(token.text.lower())
        if found is None:
            raise _located(
                text,
                token,
                f"No such column '{token.text}' on entity '{object_name}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the appropriate names.",
                "INVALID_FIELD",
            )
        return found

    query = Query(object_name, [field_of(t).name for t in selected])
    if p.keyword("WHERE"):
        query.where.append(_condition(p, field_of))
        while p.keyword("AND"):
            query.where.append(_condition(p, field_of))
    if p.keyword("ORDER"):
        p.word("BY")
        while True:
            name = field_of(p.word()).name
            desc = p.keyword("DESC")
            if not desc:
                p.keyword("ASC")
            nulls_first = not desc
            if p.keyword("NULLS"):
                nulls_first = p.word("FIRST", "LAST").text.upper() == "FIRST"
            query.order.append((name, desc, nulls_first))
            if p.peek() is None or p.peek().text != ",":
                break
            p.take()
    if p.keyword("LIMIT"):
        token = p.take()
        if token.kind != "number" or not token.text.isdigit():
            raise _malformed(text, token.column - 1, token.text)
        query.limit = int(token.text)
    if p.peek() is not None:
        token = p.take()
        raise _malformed(text, token.column - 1, token.text)
    return query


def _condition(p: _Parser, field_of) -> Callable[[dict], bool]:
    token = p.word()
    fld = field_of(token)
    negate = p.keyword("NOT")
    if p.keyword("IN"):
        p.punct("(")
        values = [_value(p, fld)]
        while p.peek() is not None and p.peek().text == ",":
            p.take()
            values.append(_value(p, fld))
        p.punct(")")
        wanted = {_sortable(v) for v in values}
        return lambda row: (_sortable(row[fld.name]) in wanted) != negate
    if negate:
        raise _malformed(p.text, token.column - 1, "NOT")
    op = p.take()
    if op.kind != "op":
        raise _malformed(p.text, op.column - 1, op.text)
    value = _value(p, fld)
    return _compare(fld.name, op.text, value)


def _value(p: _Parser, fld) -> object:
    token = p.take()
    if token.kind == "word" and token.text.lower() == "null":
        return None
    if fld.type in DATETIME_TYPES and token.kind != "datetime":
        raise _type_error(p, token, fld.name, "dateTime")
    if fld.type == "date" and token.kind != "date":
        raise _type_error(p, token, fld.name, "date")
    if fld.type in NUMBER_TYPES and token.kind != "number":
        raise _type_error(p, token, fld.name, "number")
    if fld.type == "boolean" and not isinstance(token.value, bool):
        raise _type_error(p, token, fld.name, "boolean")
    if (
        fld.type not in DATETIME_TYPES | NUMBER_TYPES | {"date", "boolean"}
        and token.kind != "string"
    ):
        raise _type_error(p, token, fld.name, "string")
    return token.value


def _type_error(p: _Parser, token: Token, name: str, kind: str) -> SoqlError:
    quoted = (
        "and should not be enclosed in quotes"
        if kind != "string"
        else "and should be enclosed in quotes"
    )
    return _located(
        p.text,
        token,
        f"value of filter criterion for field '{name}' must be of type {kind} {quoted}",
        "INVALID_FIELD",
    )


def _compare(name: str, op: str, value: object) -> Callable[[dict], bool]:
    if value is None:
        if op == "=":
            return lambda row: row[name] is None
        if op in ("!=", "<>"):
            return lambda row: row[name] is not None
        return lambda row: False
    wanted = _sortable(value)
    tests = {
        "=": lambda v: v == wanted,
        "!=": lambda v: v != wanted,
        "<>": lambda v: v != wanted,
        "<": lambda v: v < wanted,
        "<=": lambda v: v <= wanted,
        ">": lambda v: v > wanted,
        ">=": lambda v: v >= wanted,
    }
    test = tests[op]

    def matches(row: dict) -> bool:
        v = row[name]
        if v is None:
            return op in ("!=", "<>")
        return test(_sortable(v))

    return matches
