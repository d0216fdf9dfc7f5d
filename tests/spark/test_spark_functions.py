"""The portable-SQL lint's list of Spark's functions is the installed pyspark's own."""

import importlib.util
import sys
from pathlib import Path

LINT = Path(__file__).resolve().parents[2] / "dbt_project" / "lint" / "portable_sql.py"
spec = importlib.util.spec_from_file_location("portable_sql", LINT)
portable_sql = importlib.util.module_from_spec(spec)
sys.modules["portable_sql"] = portable_sql
spec.loader.exec_module(portable_sql)


def test_the_committed_function_list_is_the_installed_sparks(tmp_path):
    fresh = tmp_path / "spark_functions.txt"
    assert portable_sql.write_spark_functions(fresh) > 500
    assert fresh.read_text() == portable_sql.SPARK_FUNCTIONS.read_text()
