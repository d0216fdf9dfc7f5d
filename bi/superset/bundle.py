"""Superset's import bundle (a ZIP of YAML files) for the dashboard of `dashboard.py`.

The datasets list every column of their mart as the serving file has it, with its type
and its dbt description (the serving file carries them as comments); the database entry
opens the serving file read-only. Stable uuids: an import finds what it made before.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import duckdb
import yaml

from bi.superset import BIError
from bi.superset import dashboard as d

VERSION = "1.0.0"
_TOP = "sales_performance"


def serving_uri(serving_path: Path) -> str:
    """duckdb-engine's URI of the serving file, opened read-only (DuckDB's access_mode)."""
    return f"duckdb:///{serving_path.resolve()}?access_mode=read_only"


Columns = dict[str, list[tuple[str, str, str | None]]]


def read_marts(serving_path: Path) -> tuple[Columns, dict[str, str | None]]:
    """Each mart's (column, type, description) in table order, and its description, as the
    serving file has them (the dbt docs, copied as comments)."""
    tables = [ds.table for ds in d.DATASETS]
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        rows = con.execute(
            """
            select table_name, column_name, data_type, comment
            from duckdb_columns()
            where schema_name = ? and table_name in (select unnest(?))
            order by table_name, column_index
            """,
            [d.SCHEMA, tables],
        ).fetchall()
        described = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() "
                "where schema_name = ? and table_name in (select unnest(?))",
                [d.SCHEMA, tables],
            ).fetchall()
        )
    finally:
        con.close()
    columns: dict[str, list] = {}
    for table, column, data_type, comment in rows:
        columns.setdefault(table, []).append((column, data_type, comment))
    problems = []
    for ds in d.DATASETS:
        if ds.table not in columns:
            problems.append(f"{d.SCHEMA}.{ds.table}")
            continue
        lacking = d.dataset_columns_named(ds) - {c[0] for c in columns[ds.table]}
        if lacking:
            problems.append(f"{d.SCHEMA}.{ds.table} ({', '.join(sorted(lacking))})")
    if problems:
        raise BIError(
            f"{serving_path} lacks what the dashboard reads: {'; '.join(problems)}: "
            "publish a current build first (make run)"
        )
    return columns, described


def _database(uri: str) -> dict:
    return {
        "database_name": d.DATABASE,
        "sqlalchemy_uri": uri,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "uuid": d.stable_uuid("database", d.DATABASE),
        "version": VERSION,
    }


def _dataset(
    dataset: d.Dataset, columns: Columns, described: dict[str, str | None], schema: str
) -> dict:
    return {
        "table_name": dataset.table,
        "schema": schema,
        "main_dttm_col": dataset.time_column,
        "description": described.get(dataset.table),
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": dataset.uuid,
        "database_uuid": d.stable_uuid("database", d.DATABASE),
        "version": VERSION,
        "metrics": [
            {
                "metric_name": m.name,
                "verbose_name": m.label,
                "metric_type": None,
                "expression": m.sql,
                "description": m.description,
                "d3format": m.d3format,
                "extra": None,
                "warning_text": None,
            }
            for m in dataset.metrics
        ],
        "columns": [
            {
                "column_name": name,
                "verbose_name": name.replace("_", " ").capitalize(),  # a table's header
                "is_dttm": data_type in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"),
                "is_active": True,
                "type": data_type,
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": comment,
                "python_date_format": None,
                "extra": None,
            }
            for name, data_type, comment in columns[dataset.table]
        ],
    }


def _chart(chart: d.Chart) -> dict:
    params = {"viz_type": chart.viz_type, "datasource": "1__table", "extra_form_data": {}}
    params.update(chart.params)
    return {
        "slice_name": chart.name,
        "description": None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": chart.viz_type,
        "params": params,
        "query_context": None,
        "cache_timeout": None,
        "uuid": chart.uuid,
        "version": VERSION,
        "dataset_uuid": chart.dataset.uuid,
    }


def _chart_ids() -> dict[str, int]:
    """Placeholder ids the layout and filter scopes use; the import maps them to real ones."""
    return {chart.name: i for i, chart in enumerate(d.CHARTS, start=1)}


def _position() -> dict:
    charts = {c.name: c for c in d.CHARTS}
    ids = _chart_ids()
    position: dict = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": d.TITLE}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    for r, names in enumerate(d.LAYOUT, start=1):
        row_id = f"ROW-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for name in names:
            chart = charts[name]
            chart_id = f"CHART-{ids[name]}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    "chartId": ids[name],
                    "uuid": chart.uuid,
                    "sliceName": name,
                    "width": chart.width,
                    "height": chart.height,
                },
            }
    return position


def _native_filter(flt: d.Filter, columns: dict[str, set[str]]) -> dict:
    ids = _chart_ids()
    in_scope = {c.name for c in d.charts_in_scope(flt, columns)}
    common = {
        "id": flt.id,
        "name": flt.name,
        "type": "NATIVE_FILTER",
        "cascadeParentIds": [],
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "scope": {
            "rootPath": ["ROOT_ID"],
            "excluded": [ids[c.name] for c in d.CHARTS if c.name not in in_scope],
        },
        "description": "",
    }
    if flt.column is None:
        return {**common, "filterType": "filter_time", "targets": [{}], "controlValues": {}}
    return {
        **common,
        "filterType": "filter_select",
        "targets": [{"column": {"name": flt.column}, "datasetUuid": flt.dataset.uuid}],
        "controlValues": {
            "multiSelect": True,
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "searchAllOptions": False,
            "inverseSelection": False,
            "sortAscending": True,
        },
    }


def _dashboard(columns: dict[str, set[str]]) -> dict:
    return {
        "dashboard_title": d.TITLE,
        "description": None,
        "css": "",
        "slug": d.SLUG,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": d.stable_uuid("dashboard", d.TITLE),
        "version": VERSION,
        "position": _position(),
        "metadata": {
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "cross_filters_enabled": False,
            "expanded_slices": {},
            "label_colors": {},
            "timed_refresh_immune_slices": [],
            "default_filters": "{}",
            "native_filter_configuration": [_native_filter(f, columns) for f in d.FILTERS],
        },
    }


def _file_name(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def build(serving_path: Path, uri: str | None = None, schema: str = d.SCHEMA) -> bytes:
    """The import ZIP, its columns and descriptions read from the serving file at
    serving_path. By default the database is that file, read-only; `uri` and `schema` point
    it elsewhere instead, e.g. at the PostgreSQL publish (`postgresql://...`, `crm_marts`)."""
    columns, described = read_marts(serving_path)
    names = {table: {c[0] for c in cols} for table, cols in columns.items()}
    files = {
        "metadata.yaml": {
            "version": VERSION,
            "type": "Dashboard",
            "timestamp": "2026-01-01T00:00:00+00:00",
        },
        f"databases/{_file_name(d.DATABASE)}.yaml": _database(uri or serving_uri(serving_path)),
        f"dashboards/{_file_name(d.TITLE)}.yaml": _dashboard(names),
    }
    for ds in d.DATASETS:
        files[f"datasets/{_file_name(d.DATABASE)}/{ds.table}.yaml"] = _dataset(
            ds, columns, described, schema
        )
    for chart in d.CHARTS:
        files[f"charts/{_file_name(chart.name)}.yaml"] = _chart(chart)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(f"{_TOP}/{name}", yaml.safe_dump(content, sort_keys=False))
    return out.getvalue()
