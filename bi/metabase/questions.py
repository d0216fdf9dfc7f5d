"""The Superset dashboard's charts as Metabase native SQL questions, one definition for both.

Metabase's open-source edition has no importable dashboard format (serialization is a paid
feature), so bi/metabase/SETUP.md lists the questions to create; this module writes that
file from bi/superset/dashboard.py (`python -m bi.metabase`), so the two tools show the same
numbers. Filters are Metabase field filters: `[[AND {{team}}]]` is optional, and wired to
the question's table column in Metabase's variables panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bi.superset import dashboard as d

SETUP = Path(__file__).with_name("SETUP.md")

# Metabase's visualization for each Superset chart type.
DISPLAY = {
    "big_number_total": "Number",
    "echarts_timeseries_line": "Line",
    "echarts_timeseries_bar": "Bar",
    "funnel": "Funnel",
    "table": "Table",
}
VARIABLE = {"Team": "team", "Rep": "rep", "Month": "month"}


@dataclass(frozen=True)
class Question:
    name: str
    display: str
    sql: str
    # variable -> the column of the question's table it filters
    filters: dict[str, str]


def _select(chart: d.Chart) -> tuple[list[str], list[str], str]:
    """(select list, group by, order by) of the chart's query."""
    p = chart.params
    metrics = {m.name: m for m in chart.dataset.metrics}
    named = [metrics[n] for n in p.get("metrics", [p.get("metric")]) if n]
    measures = [f'{m.sql} AS "{m.label}"' for m in named]
    if chart.viz_type == "big_number_total":
        return measures, [], ""
    if chart.viz_type == "table":
        return list(p["all_columns"]), [], "month_start DESC, team_name, rep_name"
    keys = [p["x_axis"]] if p.get("x_axis") else []
    keys += list(p.get("groupby", []))
    order = "2 DESC" if chart.viz_type == "funnel" else ", ".join(keys)
    return keys + measures, keys, order


def question(chart: d.Chart, mart_columns: dict[str, set[str]]) -> Question:
    select, group_by, order = _select(chart)
    filters = {}
    for flt in d.FILTERS:
        if chart in d.charts_in_scope(flt, mart_columns):
            filters[VARIABLE[flt.name]] = flt.column or chart.dataset.time_column
    lines = [
        "SELECT " + ",\n       ".join(select),
        f"FROM {d.SCHEMA}.{chart.dataset.table}",
        "WHERE 1 = 1" + "".join(f" [[AND {{{{{v}}}}}]]" for v in filters),
    ]
    if group_by:
        lines.append("GROUP BY " + ", ".join(group_by))
    if order:
        lines.append(f"ORDER BY {order}")
    return Question(chart.name, DISPLAY[chart.viz_type], "\n".join(lines), filters)


def questions(mart_columns: dict[str, set[str]]) -> list[Question]:
    return [question(chart, mart_columns) for chart in d.CHARTS]


METABASE = "v0.62"
DRIVER = "1.5.4.0"
DRIVER_DUCKDB = "1.5.4"

_HEAD = f"""# Metabase: the "Sales performance" dashboard

<!-- Written by `.venv/bin/python -m bi.metabase` from bi/superset/dashboard.py: edit that
file, not this one (tests/bi/test_metabase.py checks that they agree). -->

The same dashboard as the Superset one that `make bi` provisions: the same charts, the same
KPI definitions (docs/METRICS.md: rates recomputed from sums), the same Team, Rep and Month
filters. Metabase's open-source edition cannot import a dashboard (serialization is a Pro and
Enterprise feature), so it is built once by hand from the questions below; about 20 minutes.

Written for **Metabase {METABASE}** (open source, self-hosted) with the community DuckDB driver
**metabase_duckdb_driver {DRIVER}** (DuckDB {DRIVER_DUCKDB} inside). Any driver release
with DuckDB 1.5.0 or later reads `serving.duckdb`, which the pipeline writes in DuckDB's
`v1.5.0` storage format; the driver's first three version numbers are its DuckDB version.
The questions run on PostgreSQL as well: on a Metabase that reads the PostgreSQL publish
instead (README, "PostgreSQL"), replace `marts.` with `crm_marts.` (`PUBLISH_POSTGRES_SCHEMA`).
`tests/bi/test_metabase.py` runs every question, unfiltered and filtered, on the serving file
and on the PostgreSQL publish, and checks both give the same answers; Metabase itself cannot
be installed on this project's machines, so the clicks below are not tested.

## 1. Connect the serving file

1. Put the driver's jar (`duckdb.metabase-driver.jar` of the release above) into Metabase's
   `plugins/` folder and restart Metabase. The driver works on self-hosted Metabase only.
2. *Admin settings → Databases → Add database*: **Database type** DuckDB, **Display name**
   `CRM warehouse`, **Database file** the absolute path of `data/serving.duckdb`
   (`SERVING_PATH`), **Establish a read-only connection** on. Save; Metabase lists the
   `marts`, `core` and `quarantine` schemas with the dbt descriptions of every column.

Each nightly publish swaps the file atomically; Metabase keeps reading the file it has open
and sees the new one on its next connection to it.

## 2. Create the questions

For each question below: *+ New → SQL query*, database `CRM warehouse`, paste the SQL. Each
`{{{{variable}}}}` in it is a filter: in the variables panel set its **type** to *Field Filter*,
**field to map to** the column named under the question, and its **widget** to *Text or
Category* (team, rep) or *Date filter* (month); leave it optional. Pick the visualization,
format the columns named as rates (`Quota attainment`, `Win rate`, `Forecast accuracy`) as
percent, and save the question into a collection `Sales performance`.

"""

_TAIL = """## 3. Build the dashboard

*+ New → Dashboard* `Sales performance`, add the questions in this layout (rows of a 24-column
grid; each name is a question above):

{layout}

Add three filters: **Team** (*Text or Category*), **Rep** (*Text or Category*) and **Month**
(*Date picker*, *All options*). Wire each one to the variable of the same name on every
question that has it (the "filters" line of each question); a question without it stays
unfiltered by it (the stage funnel is per pipeline, team-level charts have no rep). Save.
"""


def setup_markdown(mart_columns: dict[str, set[str]]) -> str:
    parts = [_HEAD]
    for i, q in enumerate(questions(mart_columns), start=1):
        table = next(c.dataset.table for c in d.CHARTS if c.name == q.name)
        wired = ", ".join(f"`{v}` → `{table}.{col}`" for v, col in q.filters.items())
        parts.append(
            f"### {i}. {q.name}\n\nVisualization: **{q.display}**. Filters: {wired}.\n\n"
            f"```sql\n{q.sql}\n```\n\n"
        )
    widths = {c.name: c.width * 2 for c in d.CHARTS}
    layout = "\n".join(
        "- " + " | ".join(f"{name} ({widths[name]} wide)" for name in row) for row in d.LAYOUT
    )
    parts.append(_TAIL.format(layout=layout))
    return "".join(parts)
