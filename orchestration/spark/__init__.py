"""WAREHOUSE_ENGINE=spark: the models built on a Spark cluster (README "Spark")."""
