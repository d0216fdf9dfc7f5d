"""HTML pages from the report dataclasses: a scorecard per rep and the team leaderboard.
Pure functions returning strings; every value from the data is escaped."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from orchestration.reports import formatting as fmt
from orchestration.reports.charts import (
    BarPair,
    Series,
    Step,
    line_chart,
    meter,
    paired_bars,
    waterfall_chart,
)
from orchestration.reports.queries import (
    ForecastQuarter,
    RepMonth,
    ReportData,
    RepReport,
    RiskDeal,
    ScorecardKpi,
    TeamBoard,
    TeamMonth,
    WaterfallMove,
)

RISK_TEXT = (
    "Risk: each open deal is checked against six rules (no activity for longer than your won "
    "deals usually go quiet, stuck in its stage longer than most won deals, close date pushed "
    "twice or more, amount cut, owner changed in the last 30 days, expected close date "
    "passed); two or more make it high risk, one medium."
)

ATTAINMENT_COLOR = "#2563eb"
WIN_RATE_COLOR = "#ea580c"

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #1f2937;
  font: 15px/1.45 system-ui, "DejaVu Sans", "Segoe UI", sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 40px; background: #fff;
  min-height: 100vh; }
a { color: #1d4ed8; text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 28px; margin: 4px 0 2px; }
h2 { font-size: 19px; margin: 32px 0 6px; padding-bottom: 4px; border-bottom: 1px solid #e5e7eb; }
.subtitle, .note { color: #6b7280; margin: 2px 0 10px; }
.note { font-size: 13px; }
.nav { font-size: 14px; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin: 18px 0 4px; }
.tile { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; background: #f9fafb; }
.tile .label { color: #6b7280; font-size: 13px; }
.tile .value { font-size: 19px; font-weight: 600; white-space: nowrap; }
.tile .detail { color: #6b7280; font-size: 12px; }
.chart { width: 100%; height: auto; display: block; margin: 8px 0; }
figure.waterfall { margin: 0; }
table { width: 100%; border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { padding: 6px 8px; border-bottom: 1px solid #e5e7eb; text-align: left; vertical-align: top; }
th { color: #6b7280; font-weight: 600; font-size: 13px; background: #f9fafb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tr.total td { font-weight: 600; background: #f9fafb; }
.words { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.words > div { border-radius: 8px; padding: 10px 14px; }
.words .good { background: #f0fdf4; border: 1px solid #bbf7d0; }
.words .bad { background: #fff7ed; border: 1px solid #fed7aa; }
.words h3 { margin: 0 0 4px; font-size: 15px; }
.words p.list { font-weight: 600; margin: 0 0 6px; }
.words ul { margin: 0; padding-left: 18px; font-size: 14px; }
.flag { display: inline-block; font-size: 12px; padding: 1px 7px; border-radius: 10px;
  margin: 1px 4px 1px 0; white-space: nowrap; }
.flag.medium { background: #fef3c7; color: #92400e; }
.flag.high { background: #fee2e2; color: #991b1b; }
.rank { color: #6b7280; }
table.leaderboard { table-layout: fixed; }
table.leaderboard td.rep { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
table.leaderboard th { vertical-align: bottom; }
.meter { vertical-align: middle; margin-right: 8px; }
footer { margin-top: 36px; color: #6b7280; font-size: 12px; }
"""


def rep_page_name(page_id: str) -> str:
    """The rep page's file name (RepMonth.page_id: the CRM owner id, prefixed by the
    connection when there are several), kept to safe characters."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", page_id) + ".html"


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def as_of_text(as_of_at: datetime | None, timezone: str) -> str:
    if as_of_at is None:
        return "Data as of: unknown"
    local = as_of_at.astimezone(ZoneInfo(timezone))
    return f"Data as of {fmt.day_label(local)}, {local:%H:%M} {timezone}"


def _won_lost(rep: RepMonth | TeamMonth) -> str:
    return f"{rep.won_deals or 0} won · {rep.lost_deals or 0} lost"


def _tile(label: str, value: str, tile_id: str, detail: str = "") -> str:
    detail_html = f'<div class="detail">{escape(detail)}</div>' if detail else ""
    return (
        f'<div class="tile"><div class="label">{escape(label)}</div>'
        f'<div class="value" id="{tile_id}">{escape(value)}</div>{detail_html}</div>'
    )


def _kpi_tone(k: ScorecardKpi) -> str:
    return "strength" if k.is_strength else "weakness" if k.is_weakness else "neutral"


def _kpi_sentence(k: ScorecardKpi, currency: str) -> str:
    direction = "" if k.higher_is_better else " (lower is better)"
    return (
        f"{k.label}: {fmt.kpi_value(k.kpi, k.value, currency)} against a team median of "
        f"{fmt.kpi_value(k.kpi, k.team_median, currency)}{direction}."
    )


def _scorecard_row(k: ScorecardKpi, currency: str) -> str:
    lower = "" if k.higher_is_better else ' <span class="note">(lower is better)</span>'
    cells = [
        fmt.kpi_value(k.kpi, k.value, currency),
        fmt.kpi_value(k.kpi, k.team_median, currency),
        fmt.kpi_value(k.kpi, k.company_median, currency),
        fmt.kpi_change(k.kpi, k.change_vs_previous, currency),
        fmt.count(k.sample_size),
    ]
    numbers = "".join(f'<td class="num">{escape(c)}</td>' for c in cells)
    return f'<tr data-kpi="{escape(k.kpi)}"><td>{escape(k.label)}{lower}</td>{numbers}</tr>'


def _risk_rows(risks: list[RiskDeal], currency: str, timezone: str) -> str:
    return "".join(
        f'<tr data-deal-id="{escape(r.deal_id)}" data-risk="{escape(r.risk_level)}">'
        f"<td>{escape(r.deal_name or r.deal_id)}</td>"
        f"<td>{escape(r.stage_label or fmt.MISSING)}</td>"
        f'<td class="num">{escape(fmt.money(r.amount_home, currency))}</td>'
        f'<td class="num">{escape(_local_day(r.expected_close_at, timezone))}</td>'
        f'<td><span class="flag {escape(r.risk_level)}">{escape(r.risk_level.title())}</span></td>'
        f'<td class="reasons">{escape(r.risk_reasons)}</td></tr>'
        for r in risks
    )


def waterfall_section(
    moves: list[WaterfallMove], *, title: str, table_id: str, currency: str
) -> str:
    """The month's pipeline waterfall: the chart and its numbers (the totals and the
    moves that moved a deal)."""
    moves = [m for m in moves if m.kind == "total" or m.deals]
    if not moves:
        return '<p class="note">No pipeline this month.</p>'
    steps = [Step(m.label, float(m.amount), m.kind, fmt.money(m.amount, currency)) for m in moves]
    rows = "".join(
        f'<tr data-move="{escape(m.move)}"><td>{escape(m.label)}</td>'
        f'<td class="num deals">{m.deals}</td>'
        f'<td class="num amount">{"" if m.kind == "total" else "+" if m.kind == "up" else "−"}'
        f"{escape(fmt.money(m.amount, currency))}</td></tr>"
        for m in moves
    )
    return (
        f'<figure id="{escape(table_id)}-chart" class="waterfall">'
        f"{waterfall_chart(steps, title=title)}</figure>"
        f'<table id="{escape(table_id)}"><thead><tr><th>Move</th><th class="num">Deals</th>'
        f'<th class="num">Amount</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _forecast_table(quarters: list[ForecastQuarter], currency: str) -> str:
    if not quarters:
        return '<p id="forecast">No finished quarter with forecast calls yet.</p>'
    rows = "".join(
        f'<tr data-quarter="{q.period_start.isoformat()}">'
        f"<td>{escape(fmt.quarter_label(q.period_start))}</td>"
        f'<td class="num commit">{escape(fmt.money(q.commit_amount, currency))}</td>'
        f'<td class="num best-case">{escape(fmt.money(q.best_case_call_amount, currency))}</td>'
        f'<td class="num bookings">{escape(fmt.money(q.bookings, currency))}</td>'
        f'<td class="num bias">{escape(fmt.signed_percent(q.commit_bias))}</td>'
        f'<td class="num hit">{escape(fmt.percent(q.commit_hit_rate))}</td>'
        f'<td class="num capture">{escape(fmt.percent(q.commit_capture_rate))}</td></tr>'
        for q in quarters
    )
    return (
        '<table id="forecast"><thead><tr><th>Quarter</th><th class="num">Commit at start</th>'
        '<th class="num">Best case at start</th><th class="num">Booked</th>'
        '<th class="num">Commit bias</th><th class="num">Commit came true</th>'
        f'<th class="num">Wins committed</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _local_day(at: datetime | None, timezone: str) -> str:
    return fmt.day_label(None if at is None else at.astimezone(ZoneInfo(timezone)))


def rep_page(
    report: RepReport, data: ReportData, *, currency: str, timezone: str, leaderboard_href: str
) -> str:
    rep = report.month
    month = data.month_start
    assert month is not None
    month_name = fmt.month_label(month)
    window = f"{fmt.month_label(fmt.add_months(month, -2))} – {month_name}"

    tiles = "".join(
        [
            _tile("Bookings", fmt.money(rep.bookings, currency), "kpi-bookings"),
            _tile("Quota", fmt.money(rep.quota, currency), "kpi-quota"),
            _tile("Quota attainment", fmt.percent(rep.quota_attainment), "kpi-quota-attainment"),
            _tile("Win rate", fmt.percent(rep.win_rate), "kpi-win-rate", _won_lost(rep)),
            _tile(
                "Team rank",
                f"{report.team_rank} of {report.team_size}",
                "kpi-team-rank",
                "by quota attainment",
            ),
        ]
    )

    labels = [fmt.short_month(m) for m in data.trend_months]
    trend_chart = line_chart(
        labels,
        [
            Series(
                "Quota attainment",
                [None if r is None else r.quota_attainment for r in report.trend],
                ATTAINMENT_COLOR,
            ),
            Series(
                "Win rate",
                [None if r is None else r.win_rate for r in report.trend],
                WIN_RATE_COLOR,
            ),
        ],
        title=f"Quota attainment and win rate, 12 months to {month_name}",
        value_text=lambda v: f"{v * 100:.0f}%",
        reference=1.0,
        reference_label="100% of quota",
    )
    trend_rows = "".join(
        f"<tr><td>{escape(fmt.month_label(m))}</td>"
        f'<td class="num">{escape(fmt.money(r.bookings if r else None, currency))}</td>'
        f'<td class="num">{escape(fmt.money(r.quota if r else None, currency))}</td>'
        f'<td class="num">{escape(fmt.percent(r.quota_attainment if r else None))}</td>'
        f'<td class="num">{escape(fmt.percent(r.win_rate if r else None))}</td>'
        f'<td class="num">{escape(_won_lost(r) if r else fmt.MISSING)}</td></tr>'
        for m, r in reversed(list(zip(data.trend_months, report.trend, strict=True)))
    )

    bars = paired_bars(
        [
            BarPair(
                k.label,
                k.value,
                k.team_median,
                fmt.kpi_value(k.kpi, k.value, currency),
                fmt.kpi_value(k.kpi, k.team_median, currency),
                _kpi_tone(k),
            )
            for k in report.scorecard
        ],
        title=f"{rep.rep_name} against the team median, {window}",
    )
    scorecard_rows = "".join(_scorecard_row(k, currency) for k in report.scorecard)

    def explained(items: list[ScorecardKpi]) -> str:
        if not items:
            return ""
        lis = "".join(f"<li>{escape(_kpi_sentence(k, currency))}</li>" for k in items)
        return f"<ul>{lis}</ul>"

    # Sentences in the mart's order (strengths and weaknesses text lists them by rank).
    def in_text_order(text: str, flag: str) -> list[ScorecardKpi]:
        order = [s.strip() for s in text.split(",") if s.strip()]
        chosen = {k.label: k for k in report.scorecard if getattr(k, flag)}
        return [chosen[label] for label in order if label in chosen]

    strengths = report.strengths or "None this period"
    weaknesses = report.weaknesses or "None this period"
    words = (
        '<div class="words">'
        '<div class="good"><h3>Strengths</h3>'
        f'<p class="list" id="strengths">{escape(strengths)}</p>'
        f"{explained(in_text_order(report.strengths, 'is_strength'))}</div>"
        '<div class="bad"><h3>Weaknesses</h3>'
        f'<p class="list" id="weaknesses">{escape(weaknesses)}</p>'
        f"{explained(in_text_order(report.weaknesses, 'is_weakness'))}</div>"
        "</div>"
    )

    if report.risks:
        risks = (
            '<table id="risks"><thead><tr><th>Deal</th><th>Stage</th>'
            '<th class="num">Amount</th><th class="num">Expected close</th><th>Risk</th>'
            f"<th>Why</th></tr></thead><tbody>{_risk_rows(report.risks, currency, timezone)}"
            "</tbody></table>"
        )
    else:
        risks = '<p id="risks">No open deal at risk.</p>'
    waterfall = waterfall_section(
        report.waterfall,
        title=f"Where {month_name}'s pipeline went",
        table_id="waterfall",
        currency=currency,
    )

    body = f"""
<p class="nav"><a href="{escape(leaderboard_href)}">← Team leaderboard</a></p>
<h1 id="rep-name">{escape(rep.rep_name)}</h1>
<p class="subtitle"><span id="team-name">{escape(rep.team_name or "No team")}</span> ·
scorecard for <span id="month">{escape(month_name)}</span> ·
{escape(as_of_text(data.as_of_at, timezone))}</p>
<div class="tiles">{tiles}</div>

<h2>Last 12 months</h2>
{trend_chart}
<table id="trend"><thead><tr><th>Month</th><th class="num">Bookings</th>
<th class="num">Quota</th><th class="num">Attainment</th><th class="num">Win rate</th>
<th class="num">Deals closed</th></tr></thead><tbody>{trend_rows}</tbody></table>

<h2>You against your team</h2>
<p class="note">Trailing 3 months, {escape(window)}. Each bar pair has its own scale.</p>
{bars}
<table id="scorecard"><thead><tr><th>KPI</th><th class="num">You</th>
<th class="num">Team median</th><th class="num">Company median</th>
<th class="num">Change vs previous 3 months</th><th class="num">Sample</th></tr></thead>
<tbody>{scorecard_rows}</tbody></table>

<h2>Strengths and weaknesses</h2>
<p class="note">A strength is a KPI at or above your team's 75th percentile, a weakness at
or below its 25th, over the same 3 months, when the sample is large enough.</p>
{words}

<h2>Where your pipeline went in {escape(month_name)}</h2>
<p class="note">Deals open and expected to close in {escape(month_name)}: what it started
with, what came in and went out, what was left open at its end.</p>
{waterfall}

<h2>Your forecast calls</h2>
<p class="note">At each quarter's start: the deals you had called commit and best case
(commit included), against what the quarter booked. Commit bias below 0: you booked more
than you committed. "Commit came true": the share of the committed amount won in the quarter;
"wins committed": the share of the quarter's wins from that pipeline you had committed.</p>
{_forecast_table(report.forecast, currency)}

<h2>Open deals at risk</h2>
<p class="note">{escape(RISK_TEXT)} As of the data's as-of time.</p>
{risks}

<footer>Figures from marts.mart_rep_performance_monthly, marts.mart_rep_scorecard,
marts.mart_pipeline_waterfall, marts.mart_forecast_calls and marts.mart_open_deal_risk;
money in {escape(currency)}, the CRM's home currency.</footer>
"""
    return _page(f"{rep.rep_name} · scorecard {month_name}", body)


def _team_section(
    board: TeamBoard, risk_counts: dict[str, int], month_name: str, *, currency: str
) -> str:
    rows = "".join(
        f'<tr data-owner-id="{escape(rep.owner_id)}">'
        f'<td class="rank">{rank}</td>'
        f'<td class="rep"><a href="reps/{escape(rep_page_name(rep.page_id))}" '
        f'title="{escape(rep.rep_name)}">'
        f"{escape(rep.rep_name)}</a></td>"
        f'<td class="num attainment">{meter(rep.quota_attainment)}'
        f"{escape(fmt.percent(rep.quota_attainment))}</td>"
        f'<td class="num bookings">{escape(fmt.money(rep.bookings, currency))}</td>'
        f'<td class="num quota">{escape(fmt.money(rep.quota, currency))}</td>'
        f'<td class="num win-rate">{escape(fmt.percent(rep.win_rate))}</td>'
        f'<td class="num">{escape(_won_lost(rep))}</td>'
        f'<td class="num at-risk">{risk_counts.get(rep.rep_key, 0)}</td></tr>'
        for rank, rep in enumerate(board.reps, start=1)
    )
    total = ""
    if board.team is not None:
        t = board.team
        total = (
            '<tr class="total"><td></td><td>Team</td>'
            f'<td class="num">{escape(fmt.percent(t.quota_attainment))}</td>'
            f'<td class="num">{escape(fmt.money(t.bookings, currency))}</td>'
            f'<td class="num">{escape(fmt.money(t.quota, currency))}</td>'
            f'<td class="num">{escape(fmt.percent(t.win_rate))}</td>'
            f'<td class="num">{escape(_won_lost(t))}</td><td></td></tr>'
        )
    return (
        f'<section class="team" data-team-id="{escape(board.team_id)}">'
        f"<h2>{escape(board.team_name)}</h2>"
        '<table class="leaderboard"><colgroup><col style="width:4%"><col style="width:20%">'
        '<col style="width:17%"><col style="width:15%"><col style="width:15%">'
        '<col style="width:9%"><col style="width:11%"><col style="width:9%"></colgroup>'
        '<thead><tr><th class="rank">#</th><th>Rep</th>'
        '<th class="num">Quota attainment</th><th class="num">Bookings</th>'
        '<th class="num">Quota</th><th class="num">Win rate</th>'
        '<th class="num">Deals closed</th><th class="num">At high risk</th></tr></thead>'
        f"<tbody>{rows}</tbody><tfoot>{total}</tfoot></table>"
        f"<h3>Where the team's pipeline went in {escape(month_name)}</h3>"
        + waterfall_section(
            board.waterfall,
            title=f"{board.team_name}: where {month_name}'s pipeline went",
            table_id=f"waterfall-{board.team_id}",
            currency=currency,
        )
        + "</section>"
    )


def leaderboard_page(data: ReportData, *, currency: str, timezone: str) -> str:
    if data.month_start is None:
        body = (
            "<h1>Team leaderboard</h1>"
            "<p>No complete month in the data yet: the leaderboard starts after the first "
            "full reporting month.</p>"
        )
        return _page("Team leaderboard", body)
    month_name = fmt.month_label(data.month_start)
    risk_counts = {r.month.rep_key: sum(d.risk_level == "high" for d in r.risks) for r in data.reps}
    sections = "\n".join(
        _team_section(board, risk_counts, month_name, currency=currency) for board in data.teams
    )
    body = f"""
<h1>Team leaderboard · <span id="month">{escape(month_name)}</span></h1>
<p class="subtitle">Reps ranked by quota attainment in {escape(month_name)}, the last
complete month. {escape(as_of_text(data.as_of_at, timezone))}.</p>
<p class="note">Money in {escape(currency)}. The tick on each bar marks 100% of quota.
At high risk: open deals with two or more risk signals as of the data's as-of time.
{escape(RISK_TEXT)} Click a rep for their scorecard, forecast calls and deals at risk.</p>
{sections}
<footer>Figures from marts.mart_rep_performance_monthly,
marts.mart_team_performance_monthly (team rates recomputed from the team's sums),
marts.mart_pipeline_waterfall and marts.mart_open_deal_risk.</footer>
"""
    return _page(f"Team leaderboard · {month_name}", body)
