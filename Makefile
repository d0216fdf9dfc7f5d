# Quick start: `make demo` then `make test`. Everything runs from .venv, built from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export PATH := $(abspath $(BIN)):$(PATH)
export DAGSTER_HOME ?= $(abspath .dagster_home)
DEV_PORT ?= 3000

.PHONY: setup spark-setup demo test test-fast test-spark dev run backfill lint format bench docs clean sandbox sandbox-stop bi bi-setup

setup: $(VENV)/.synced dbt_project/target/manifest.json $(DAGSTER_HOME)/dagster.yaml

# Instance config (the one-writer "duckdb" pool); run history lives in .dagster_home/.
$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp $< $@

$(UV):
	@echo "==> bootstrapping uv $(UV_VERSION) into $(TOOLS)/"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	@echo "==> creating $(VENV) from uv.lock"
	@$(UV) sync --frozen --python $(PYTHON) --quiet --compile-bytecode
	@touch $@

# dagster-dbt reads the manifest; it is prepared here, never parsed at import time: the
# default (HubSpot) one, then those of Salesforce with and without HubSpot (each CRM kind's
# models are enabled by its connections; orchestration/lib/manifest.py).
dbt_project/target/manifest.json: $(VENV)/.synced $(shell find dbt_project -name '*.sql' -o -name '*.yml' -o -name '*.md' 2>/dev/null | grep -v '/target/')
	@echo "==> dbt parse (manifests for Dagster)"
	@cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	@touch $@
	@$(BIN)/python -c "from orchestration.lib.manifest import manifest_path as m; m(['salesforce']); m(['hubspot', 'salesforce'])"

# WAREHOUSE_ENGINE=spark: dbt-spark and pyspark (with Spark's own launcher) in .venv-spark,
# from the same uv.lock (dependency group spark), apart from the pipeline's .venv.
SPARK_VENV := .venv-spark
spark-setup: $(SPARK_VENV)/.synced

$(SPARK_VENV)/.synced: uv.lock pyproject.toml | $(UV)
	@echo "==> creating $(SPARK_VENV) from uv.lock (group spark)"
	@UV_PROJECT_ENVIRONMENT=$(abspath $(SPARK_VENV)) $(UV) sync --frozen --python $(PYTHON) \
		--quiet --only-group spark --compile-bytecode
	@touch $@

# The BI environment: Apache Superset (and Playwright for its browser test) in .venv-bi,
# apart from the pipeline's (Superset pins Flask, SQLAlchemy 1.4 and pandas 2.1), built
# from its own lock file, bi/superset/requirements.lock.
BI_VENV := .venv-bi
bi-setup: $(BI_VENV)/.synced

$(BI_VENV)/.synced: bi/superset/requirements.lock | $(UV)
	@echo "==> creating $(BI_VENV) from bi/superset/requirements.lock"
	@[ -x $(BI_VENV)/bin/python ] || $(UV) venv --quiet --python $(PYTHON) $(BI_VENV)
	@$(UV) pip sync --quiet --python $(BI_VENV)/bin/python --require-hashes \
		--compile-bytecode bi/superset/requirements.lock
	@touch $@

# Superset on http://127.0.0.1:$(BI_PORT) with the "Sales performance" dashboard over the
# serving file (make demo first); prints the URL and the login. Ctrl-C stops it.
BI_PORT ?= 8088
bi: setup bi-setup
	@$(BIN)/python -m bi.superset --port $(BI_PORT)

# CRM=salesforce reads the Salesforce sandbox instead, CRM=both the two at once.
# `make demo ENGINE=spark`: the models built on a Spark cluster (README "Spark").
demo: setup $(if $(filter spark,$(ENGINE)),spark-setup)
	@$(BIN)/python -m orchestration.demo --crm $(or $(CRM),hubspot) --engine $(or $(ENGINE),duckdb)

# The full suite; the slowest tests are listed at the end (their cost stays visible).
# The Spark engine's tests run on their own: `make test-spark` (CI runs both).
test: setup bi-setup
	@$(BIN)/python -m pytest -m "not spark" --durations=15

# WAREHOUSE_ENGINE=spark on a local standalone cluster (Java 17+), against DuckDB's build.
test-spark: setup spark-setup
	@$(BIN)/python -m pytest -m spark --durations=5

# The fast tier: every test that does not run the pipeline (under 2 minutes). One subject:
# `make test-fast SUBJECT=sandbox` (unit, sandbox, ingestion, pipeline, publish, reports).
test-fast: setup
	@$(BIN)/python -m pytest -m "not slow and not spark$(if $(SUBJECT), and $(SUBJECT))" --durations=5

# Dagster UI, daemon and code server (the project's [tool.dg] config); Ctrl-C stops them all.
# Dagster's CLI reads .env over the environment; the environment's values travel along and
# win again when the definitions load (orchestration/lib/env_order.py).
dev: setup
	@CRM_WAREHOUSE_EXPORTED_ENV="$$($(BIN)/python -m orchestration.lib.env_order)" \
		$(BIN)/dg dev --port $(DEV_PORT)

# The nightly job once, now (last complete day), recorded in DAGSTER_HOME: progress lines,
# and on failure the failed step's one line last, exit code 1.
run: setup
	@$(BIN)/python -m orchestration.lib.runs

# Re-extract the CRM changes of FROM..TO (reporting time zone) and rebuild, as one run.
backfill: setup
	@$(BIN)/python -m orchestration.backfill --from "$(FROM)" --to "$(TO)"

# The demo's CRM sandbox kept running in the background; data/sandbox.env points the
# pipeline at it (e.g. for `make backfill` after `make demo`).
sandbox: setup
	@$(BIN)/python -m ingestion.sandbox.background start

sandbox-stop: setup
	@$(BIN)/python -m ingestion.sandbox.background stop

# ruff, then the dbt project's SQL: engine-only constructs outside their duckdb__/spark__
# macros (dbt_project/lint/portable_sql.py).
lint: setup
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .
	@$(BIN)/python dbt_project/lint/portable_sql.py

format: setup
	@$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Pipeline benchmark (orchestration/bench/): `make bench`, `make bench PRESET=large`.
bench: setup spark-setup
	@$(BIN)/python -m orchestration.bench --preset $(or $(PRESET),medium)

docs: setup
	@cd dbt_project && ../$(BIN)/dbt docs generate --profiles-dir . --static

clean:
	rm -rf $(VENV) $(BI_VENV) $(TOOLS) dbt_project/target dbt_project/logs data .dagster_home
