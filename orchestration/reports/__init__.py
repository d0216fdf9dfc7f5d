"""Rep feedback reports: a static HTML scorecard page per rep and a team leaderboard,
rendered from the marts with the standard library only (inline SVG charts, no scripts).

- `queries`: reads the marts (read-only) into plain dataclasses (deals at risk: the rules
  of `marts.mart_open_deal_risk`);
- `formatting`, `charts`, `render`: pure functions from those dataclasses to HTML;
- `build`: writes `index.html` and `reps/<owner_id>.html` (`<crm_source>-<owner_id>` with
  several CRM connections) into the reports folder.
"""

from orchestration.reports.build import ReportSummary, reports_dir_for, write_reports

__all__ = ["ReportSummary", "reports_dir_for", "write_reports"]
