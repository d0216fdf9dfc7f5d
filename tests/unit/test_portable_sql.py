"""The portable-SQL lint of `make lint` (dbt_project/lint/portable_sql.py): the project is
clean, and each engine-only construct it knows is reported with its file and line."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "dbt_project" / "lint" / "portable_sql.py"

spec = importlib.util.spec_from_file_location("portable_sql", LINT)
portable_sql = importlib.util.module_from_spec(spec)
sys.modules["portable_sql"] = portable_sql  # dataclasses look their module up
spec.loader.exec_module(portable_sql)


@pytest.fixture(scope="module")
def functions() -> dict[str, set[str]]:
    return {"duckdb": portable_sql.duckdb_functions(), "spark": portable_sql.spark_functions()}


def lint_files(tmp_path: Path, functions, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [str(f) for f in portable_sql.lint(tmp_path, functions)]


def test_the_project_is_portable():
    result = subprocess.run([sys.executable, str(LINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_function_lists(functions):
    # DuckDB-only and Spark-only names the rules rely on
    assert {"string_split", "regexp_full_match", "generate_series"} <= functions["duckdb"]
    assert not {"string_split", "regexp_full_match", "generate_series"} & functions["spark"]
    assert {"from_utc_timestamp", "explode", "sequence", "rlike"} <= functions["spark"]
    assert "from_utc_timestamp" not in functions["duckdb"]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select string_split(a, ';') from t", "string_split() is a DuckDB-only function"),
        ("select from_utc_timestamp(a, 'UTC') from t", "from_utc_timestamp() is a Spark-only"),
        ("select a at time zone 'Asia/Baku' from t", "AT TIME ZONE is DuckDB-only"),
        ("select 1 as a union all by name select 2 as a", "UNION BY NAME is DuckDB-only"),
        ("select last_value(a ignore nulls) over () from t", "f(x ignore nulls) is DuckDB-only"),
        ("select cast(a as varchar) from t", "varchar is a DuckDB type name"),
        ("select a::double precision from t", "double precision is a DuckDB type name"),
        ("select cast(a as timestamp with time zone) from t", "timestamp with time zone is"),
        ("select extract(isodow from d) from t", "isodow is DuckDB-only"),
        ('select "primary" from t', '"primary" is a string on Spark'),
    ],
)
def test_each_rule_is_reported_with_its_line(tmp_path, functions, sql, message):
    found = lint_files(
        tmp_path, functions, {"models/m.sql": "{{ config(materialized='view') }}\n\n" + sql}
    )
    assert len(found) == 1 and found[0].startswith("models/m.sql:3: " + message), found


def test_strings_comments_and_jinja_are_not_sql(tmp_path, functions):
    model = """-- string_split(a, ';') in a comment
{# at time zone in a Jinja comment #}
{% set x = "delete from t" %}
select 'string_split(a)' as s, {{ "union all by name" }} from t
"""
    assert lint_files(tmp_path, functions, {"models/m.sql": model}) == []


def test_hook_sql_is_read(tmp_path, functions):
    model = """{{ config(
    post_hook="delete from {{ this }} where id not in (select id from {{ ref('x') }})",
) }}
select 1 as id
"""
    found = lint_files(tmp_path, functions, {"models/m.sql": model})
    assert found == [
        "models/m.sql:2: DELETE fails on Spark's parquet tables: delete_rows() / empty_table()"
    ]


def test_adapter_implementations_may_use_their_dialect(tmp_path, functions):
    macros = """{% macro split(e) %}{{ return(adapter.dispatch('split')(e)) }}{% endmacro %}
{% macro default__split(e) %} string_split({{ e }}, ';') {% endmacro %}
{% macro duckdb__split(e) %} string_split({{ e }}, ';') {% endmacro %}
"""
    found = lint_files(tmp_path, functions, {"macros/split.sql": macros})
    assert found == [
        "macros/split.sql:2: default__split is not portable (string_split() is a DuckDB-only "
        "function) and there is no spark__split"
    ]
    spark = "{% macro spark__split(e) %} split({{ e }}, '[;]') {% endmacro %}\n"
    assert lint_files(tmp_path, functions, {"macros/split.sql": macros + spark}) == []
