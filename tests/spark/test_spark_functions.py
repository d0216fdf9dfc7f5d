"""The portable-SQL lint's list of Spark's functions is the installed pyspark's own."""

from ..unit.test_portable_sql import portable_sql


def test_the_committed_function_list_is_the_installed_sparks(tmp_path):
    fresh = tmp_path / "spark_functions.txt"
    assert portable_sql.write_spark_functions(fresh) > 500
    assert fresh.read_text() == portable_sql.SPARK_FUNCTIONS.read_text()
