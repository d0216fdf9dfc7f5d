"""Write the report pages: <reports_dir>/index.html and <reports_dir>/reps/<page_id>.html
(the rep's CRM owner id, prefixed by the connection when there are several)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.reports.queries import ReportData, load_report_data
from orchestration.reports.render import leaderboard_page, rep_page, rep_page_name

INDEX = "index.html"
REPS_DIR = "reps"


@dataclass(frozen=True)
class ReportSummary:
    reports_dir: Path
    index_path: Path
    month_start: date | None
    reps_written: int
    deals_flagged: int


def reports_dir_for(warehouse_path: Path) -> Path:
    """Reports live beside the warehouse they are read from."""
    return Path(warehouse_path).parent / "reports"


def read_report_data(warehouse_path: Path) -> ReportData:
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        return load_report_data(con)
    finally:
        con.close()


def _write(path: Path, text: str) -> None:
    """Replace the file whole, so a reader never opens a half-written page."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def render_pages(data: ReportData, *, currency: str, timezone: str) -> dict[str, str]:
    """Relative path -> HTML for every page."""
    pages = {INDEX: leaderboard_page(data, currency=currency, timezone=timezone)}
    for report in data.reps:
        name = f"{REPS_DIR}/{rep_page_name(report.month.page_id)}"
        pages[name] = rep_page(
            report, data, currency=currency, timezone=timezone, leaderboard_href=f"../{INDEX}"
        )
    return pages


def write_reports(
    warehouse_path: Path, reports_dir: Path, *, currency: str, timezone: str
) -> ReportSummary:
    """Read the marts (read-only) and write every page; rep pages of reps no longer in
    the data are removed."""
    data = read_report_data(warehouse_path)
    pages = render_pages(data, currency=currency, timezone=timezone)
    (reports_dir / REPS_DIR).mkdir(parents=True, exist_ok=True)
    for name, html in pages.items():
        _write(reports_dir / name, html)
    for old in (reports_dir / REPS_DIR).glob("*.html"):
        if f"{REPS_DIR}/{old.name}" not in pages:
            old.unlink()
    return ReportSummary(
        reports_dir=reports_dir,
        index_path=reports_dir / INDEX,
        month_start=data.month_start,
        reps_written=len(data.reps),
        deals_flagged=sum(len(r.risks) for r in data.reps),
    )
