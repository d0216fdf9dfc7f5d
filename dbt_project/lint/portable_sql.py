"""Portable-SQL lint: flags SQL in the dbt project that only one engine (DuckDB, Spark) runs.

The models are built on DuckDB (the default) and on Spark (WAREHOUSE_ENGINE=spark). SQL that
only one of them understands belongs in a dispatched macro's `<adapter>__` implementation
(e.g. `duckdb__parse_timestamptz`, `spark__date_spine`); this check reads the models, the
singular tests and the macros (except those implementations) and reports each engine-only
construct with its file and line:

- a call of a function that is built into one engine only (DuckDB's list from the installed
  duckdb, Spark's from `spark_functions.txt`, written by `--write-spark-functions`);
- DuckDB-only syntax: AT TIME ZONE, UNION BY NAME, `f(x ignore nulls)`, DELETE (Spark's parquet
  tables cannot), DuckDB type names (varchar, text, timestamptz, hugeint, double precision,
  timestamp with time zone), isodow, double-quoted identifiers (a string on Spark);
- a dispatched macro whose `default__` implementation has such SQL and no `spark__` one.

Jinja is blanked out before the SQL is read by sqlglot's tokenizer (strings and comments are
never matched); the SQL of `pre_hook` / `post_hook` strings is read too. Run by `make lint`:
`python dbt_project/lint/portable_sql.py` prints one line per finding and exits 1 if any.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import Token, TokenType

PROJECT = Path(__file__).resolve().parents[1]
SPARK_FUNCTIONS = Path(__file__).with_name("spark_functions.txt")

# Written the same way in both engines although one engine's function list lacks them
# (they are syntax there: DuckDB rewrites percentile_cont ... within group to quantile_cont).
BOTH_SYNTAX = {
    "percentile_cont",
    "percentile_disc",
    "coalesce",
    "nullif",
    "extract",
    "cast",
    "try_cast",
}

DUCKDB_TYPES = {"varchar", "text", "timestamptz", "hugeint", "double precision"}

MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(.*?%\}(.*?)\{%-?\s*endmacro\s*-?%\}", re.S)
HOOK = re.compile(r"\b(?:pre_hook|post_hook)\s*=\s*(\[[^\]]*\]|\"(?:[^\"\\]|\\.)*\")", re.S)
STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")
IMPLEMENTATION = re.compile(r"^([a-z]+)__(\w+)$")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def spark_functions(path: Path = SPARK_FUNCTIONS) -> set[str]:
    return {
        line.strip() for line in path.read_text().splitlines() if line and not line.startswith("#")
    }


def duckdb_functions() -> set[str]:
    import duckdb

    with duckdb.connect() as con:
        return {
            name
            for (name,) in con.sql(
                "select distinct function_name from duckdb_functions()"
            ).fetchall()
        }


def jinja_blocks(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of each Jinja block, kind `{{`, `{%` or `{#`. Quotes inside an
    expression or statement are skipped, so `post_hook="{{ ref('x') }}"` is one block."""
    i = 0
    while (start := text.find("{", i)) != -1:
        kind = text[start : start + 2]
        if kind not in ("{{", "{%", "{#"):
            i = start + 1
            continue
        close = {"{{": "}}", "{%": "%}", "{#": "#}"}[kind]
        j, quote = start + 2, None
        while j < len(text):
            char = text[j]
            if quote:
                if char == "\\":
                    j += 1
                elif char == quote:
                    quote = None
            elif kind != "{#" and char in "'\"":
                quote = char
            elif text.startswith(close, j):
                break
            j += 1
        end = min(j + 2, len(text))
        yield start, end, kind
        i = end


def blank_jinja(text: str) -> str:
    """Jinja out, line numbers kept: an expression becomes a placeholder name, a statement
    or comment blanks."""
    pieces, last = [], 0
    for start, end, kind in jinja_blocks(text):
        fill = " __jinja__ " if kind == "{{" else " "
        pieces += [text[last:start], fill + "\n" * text.count("\n", start, end)]
        last = end
    return "".join(pieces) + text[last:]


def sql_findings(sql: str, functions: dict[str, set[str]]) -> Iterator[tuple[int, str]]:
    """(line, message) for each engine-only construct of one piece of SQL (no Jinja)."""
    duck, spark = functions["duckdb"], functions["spark"]
    tokens: list[Token] = DuckDB().tokenizer().tokenize(sql)
    words = [t.text.lower() for t in tokens]

    def at(i: int, *expected: str) -> bool:
        return words[i : i + len(expected)] == list(expected)

    for i, token in enumerate(tokens):
        word = words[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            token.token_type == TokenType.VAR
            and following
            and following.token_type == TokenType.L_PAREN
        ):
            if word not in BOTH_SYNTAX and (word in duck) != (word in spark):
                engine = "DuckDB" if word in duck else "Spark"
                yield token.line, f"{word}() is a {engine}-only function"
        if token.token_type == TokenType.IDENTIFIER:
            yield (
                token.line,
                f'"{token.text}" is a string on Spark: write {{{{ adapter.quote(...) }}}}',
            )
        if at(i, "at", "time", "zone"):
            yield token.line, "AT TIME ZONE is DuckDB-only: to_reporting_tz() / local_day_start()"
        if at(i, "union", "by", "name") or at(i, "union", "all", "by", "name"):
            yield token.line, "UNION BY NAME is DuckDB-only: list the columns of each branch"
        if at(i, "ignore", "nulls", ")"):
            yield token.line, "f(x ignore nulls) is DuckDB-only: last_value_so_far()"
        if at(i, "delete", "from"):
            yield (
                token.line,
                "DELETE fails on Spark's parquet tables: delete_rows() / empty_table()",
            )
        if word == "isodow":
            yield token.line, "isodow is DuckDB-only: iso_day_of_week()"
        if at(i, "timestamp", "with", "time", "zone"):
            yield token.line, "timestamp with time zone is DuckDB-only: type_timestamptz()"
        if word in DUCKDB_TYPES and i and words[i - 1] in ("as", "::"):
            yield (
                token.line,
                f"{word} is a DuckDB type name: dbt.type_string() / type_double() / ...",
            )


def hook_sql(expression: str) -> list[tuple[int, str]]:
    """(line offset, SQL) of each string of the pre_hook / post_hook arguments in a Jinja block."""
    pieces = []
    for hook in HOOK.finditer(expression):
        for string in STRING.finditer(hook.group(1)):
            start = hook.start(1) + string.start(1)
            pieces.append((expression[:start].count("\n"), string.group(1)))
    return pieces


def file_sql(path: Path, project: Path = PROJECT) -> Iterator[tuple[int, str]]:
    """(first line, SQL without Jinja) of the parts of a file that must be portable."""
    text = path.read_text()
    if "macros" in path.relative_to(project).parts:
        parts = [
            (text[: m.start(2)].count("\n") + 1, m.group(2))
            for m in MACRO.finditer(text)
            if not IMPLEMENTATION.match(m.group(1))
        ]
    else:
        parts = [(1, text)]
    for first_line, part in parts:
        yield first_line, blank_jinja(part)
        for start, end, kind in jinja_blocks(part):
            if kind != "{{":
                continue
            block_line = first_line + part[:start].count("\n")
            for offset, sql in hook_sql(part[start:end]):
                yield block_line + offset, blank_jinja(sql)


def missing_spark_implementations(
    paths: list[Path], functions: dict[str, set[str]], project: Path = PROJECT
) -> Iterator[Finding]:
    """Dispatched macros whose default__ is engine-only SQL and that have no spark__ one."""
    implementations: dict[str, dict[str, tuple[Path, int, str]]] = {}
    for path in paths:
        text = path.read_text()
        for m in MACRO.finditer(text):
            name = IMPLEMENTATION.match(m.group(1))
            if name:
                line = text[: m.start()].count("\n") + 1
                implementations.setdefault(name.group(2), {})[name.group(1)] = (
                    path,
                    line,
                    m.group(2),
                )
    for macro, by_adapter in sorted(implementations.items()):
        if "default" not in by_adapter or "spark" in by_adapter:
            continue
        path, line, body = by_adapter["default"]
        found = list(sql_findings(blank_jinja(body), functions))
        if found:
            yield Finding(
                str(path.relative_to(project)),
                line,
                f"default__{macro} is not portable ({found[0][1]}) and there is no spark__{macro}",
            )


def lint(project: Path = PROJECT, functions: dict[str, set[str]] | None = None) -> list[Finding]:
    functions = functions or {"duckdb": duckdb_functions(), "spark": spark_functions()}
    paths = sorted(
        p for folder in ("models", "macros", "tests") for p in (project / folder).rglob("*.sql")
    )
    findings = [
        Finding(str(path.relative_to(project)), first + line - 1, message)
        for path in paths
        for first, sql in file_sql(path, project)
        for line, message in sql_findings(sql, functions)
    ]
    macros = [p for p in paths if "macros" in p.relative_to(project).parts]
    return findings + list(missing_spark_implementations(macros, functions, project))


SHOW_FUNCTIONS = """
import pyspark
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
print(pyspark.__version__)
print("\\n".join(sorted({row[0] for row in spark.sql("show functions").collect()})))
spark.stop()
"""


def write_spark_functions(path: Path = SPARK_FUNCTIONS) -> int:
    """Writes the built-in function names of .venv-spark's pyspark (starts a local JVM)."""
    python = PROJECT.parent / ".venv-spark" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-"], input=SHOW_FUNCTIONS, capture_output=True, text=True, check=True
    )
    version, *names = done.stdout.split()
    header = (
        f"# Spark SQL {version} built-in functions (SHOW FUNCTIONS), for the portable-SQL lint.\n"
        "# Regenerate (needs `make spark-setup`): "
        ".venv/bin/python dbt_project/lint/portable_sql.py --write-spark-functions\n"
    )
    path.write_text(header + "\n".join(names) + "\n")
    return len(names)


def main(argv: list[str]) -> int:
    if argv == ["--write-spark-functions"]:
        print(f"{write_spark_functions()} functions written to {SPARK_FUNCTIONS}")
        return 0
    findings = lint()
    for finding in findings:
        print(f"dbt_project/{finding}")
    if findings:
        print(
            f"{len(findings)} engine-only SQL construct(s): move them into a dispatched macro's "
            "duckdb__/spark__ implementations (dbt_project/macros/portability.sql)",
            file=sys.stderr,
        )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
