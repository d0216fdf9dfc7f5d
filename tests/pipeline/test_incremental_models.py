"""The incremental dbt models re-state what they must: a table built before a model was
incremental is rebuilt whole once, and a changed dbt var reaches rows the data did not
touch. (That a week of incremental nights equals a rebuild from scratch is checked in
test_backfill.py.)"""

from __future__ import annotations

import json
import shutil

import duckdb

from ..conftest import NightlyRuns, snapshot
from .test_end_to_end import built_after, dbt_test

# incremental model -> the column its incremental runs rely on (a full rebuild had none)
NEWLY_INCREMENTAL = {
    "intermediate.int_deal_pipeline_monthly": "deal_updated_at",
    "intermediate.int_deal_stage_stays": "deal_updated_at",
    "intermediate.int_deal_state_changes": "deal_version",
    "intermediate.int_deal_pipeline_moves": "deal_updated_at",
    "intermediate.int_deal_forecast_calls": "deal_updated_at",
    "intermediate.int_deal_risk_signals": "deal_updated_at",
}


def test_tables_built_before_they_were_incremental_are_rebuilt_whole(
    nightly_runs: NightlyRuns, tmp_path
):
    upgraded = built_after(  # as the full rebuilds left them, less some rows
        nightly_runs,
        tmp_path,
        *(
            f"alter table {table} drop column {column}"
            for table, column in NEWLY_INCREMENTAL.items()
        ),
        *(f"delete from {table} where deal_id like '%1'" for table in NEWLY_INCREMENTAL),
        "alter table intermediate.int_deal_pipeline_monthly drop column deal_key",
    )
    fresh = snapshot(nightly_runs.warehouse)
    for table in NEWLY_INCREMENTAL:
        assert upgraded[table] == fresh[table], table


def test_a_changed_qualified_min_probability_reaches_every_month(
    nightly_runs: NightlyRuns, tmp_path
):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(nightly_runs.warehouse, warehouse)
    done = dbt_test(
        warehouse,
        tmp_path / "target",
        "--select",
        "int_deal_pipeline_monthly",
        "--vars",
        json.dumps({"qualified_min_probability": 0.85}),
        command="run",
    )
    assert done.returncode == 0, done.stdout[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute(f"attach '{nightly_runs.warehouse}' as before (read_only)")
    wrong, changed = con.execute(
        "select count(*) filter (where n.is_qualified is distinct from (n.stage_probability >= 0.85)),"
        " count(*) filter (where n.is_qualified is distinct from b.is_qualified)"
        " from intermediate.int_deal_pipeline_monthly as n"
        " join before.intermediate.int_deal_pipeline_monthly as b using (deal_month_id)"
    ).fetchone()
    con.close()
    assert wrong == 0
    assert changed > 0  # the default 0.4 qualified deals 0.85 does not
