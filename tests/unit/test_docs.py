"""What the documentation promises stays true: the README quotes the demo's real output, and
every KPI of docs/METRICS.md is a documented column of the marts."""

from __future__ import annotations

import re

import yaml

from ingestion.settings import PROJECT_ROOT
from orchestration.demo import README, data_summary, readme_demo_block

from ..conftest import NightlyRuns

METRICS = PROJECT_ROOT / "docs" / "METRICS.md"
PERFORMANCE_YAML = (
    PROJECT_ROOT / "dbt_project" / "models" / "marts" / "performance" / "_performance__models.yml"
)


def test_readme_quotes_the_demos_output(nightly_runs: NightlyRuns):
    """The test pipeline runs the demo's organisation (preset small, seed 42), so the data
    part of the demo's output must be what the README shows."""
    quoted = readme_demo_block(README.read_text())
    assert quoted is not None, "README.md lost its demo-output markers"
    actual = "\n".join(data_summary(nightly_runs.warehouse)) + "\n"
    assert quoted == actual, (
        "README.md's demo output is stale: run `python -m orchestration.demo --write-readme`"
    )


def _kpi_columns() -> set[str]:
    """Column names in the first cell of the KPI table of docs/METRICS.md."""
    text = METRICS.read_text()
    table = text[text.index("## KPIs") : text.index("## Other marts")]
    names: set[str] = set()
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        first_cell = row.split("|")[1]
        cells = re.findall(r"`([a-z_0-9]+)`", first_cell)
        for name in cells:
            # `sales_cycle_days_median`, `_mean`: a suffix continues the previous name.
            if name.startswith("_"):
                name = cells[0].rsplit("_", 1)[0] + name
            names.add(name)
    return names


def _documented_columns(model: str) -> dict[str, str]:
    models = yaml.safe_load(PERFORMANCE_YAML.read_text())["models"]
    [found] = [m for m in models if m["name"] == model]
    return {c["name"]: c.get("description", "") for c in found["columns"]}


def test_every_kpi_of_metrics_md_is_a_documented_mart_column():
    kpis = _kpi_columns()
    assert len(kpis) >= 25, kpis  # the table was read
    for model in ("mart_rep_performance_monthly", "mart_team_performance_monthly"):
        columns = _documented_columns(model)
        missing = sorted(kpis - columns.keys())
        assert missing == [], f"{model} lacks KPIs of docs/METRICS.md: {missing}"
        undocumented = sorted(k for k in kpis if not columns[k].strip())
        assert undocumented == [], f"{model}: KPIs without a description: {undocumented}"


def test_readme_links_the_metric_definitions():
    readme = README.read_text()
    assert "(docs/METRICS.md)" in readme
    assert METRICS.exists()
