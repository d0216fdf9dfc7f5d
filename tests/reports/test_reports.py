"""Rep feedback reports: the nightly job's `reports/rep_scorecards` asset writes a scorecard
page per rep and a team leaderboard from the warehouse the real pipeline built (sandbox);
rendered in headless Chromium, what a person sees equals the marts."""

from __future__ import annotations

import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs
from orchestration.reports import formatting as fmt
from orchestration.reports.charts import Series, line_chart

from ..conftest import NightlyRuns

ASSET = dg.AssetKey(["reports", "rep_scorecards"])
CHROMIUM = Path("/usr/bin/chromium")
CURRENCY = "AZN"  # the default HOME_CURRENCY the sandbox pipeline runs with
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium "
    "(apt-get install -y --no-install-recommends chromium)",
)


# --- a tiny DOM of the page Chromium rendered -------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
INVISIBLE = {"head", "style", "script", "title", "template"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        def matches(n: Node) -> bool:
            if tag is not None and n.tag != tag:
                return False
            for key, value in attrs.items():
                key = key.rstrip("_").replace("_", "-")
                have = n.attrs.get(key)
                if have is None or (key == "class" and value not in have.split()):
                    return False
                if key != "class" and have != value:
                    return False
            return True

        return [n for n in self.iter() if matches(n)]

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def text(self) -> str:
        """The text a reader sees, whitespace collapsed as the browser lays it out."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in INVISIBLE:
                    walk(child)
                    if child.tag in {"td", "th", "p", "div", "li", "h1", "h2", "h3", "tr"}:
                        parts.append(" ")

        walk(self)
        return norm("".join(parts))


class _DomBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def norm(text: str) -> str:
    return " ".join(text.split())


def parse(html: str) -> Node:
    builder = _DomBuilder()
    builder.feed(html)
    return builder.root


def render_in_chromium(pages: list[Path]) -> dict[Path, Node]:
    """Each page's DOM after Chromium loaded and laid it out (file://, offline)."""

    def dump(page: Path) -> tuple[Path, Node]:
        with tempfile.TemporaryDirectory() as profile:
            proc = subprocess.run(
                [
                    str(CHROMIUM),
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    "--dump-dom",
                    page.resolve().as_uri(),
                ],
                capture_output=True,
                timeout=60,
            )
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
        return page, parse(proc.stdout.decode("utf-8"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(dump, pages))


# --- what the marts say -----------------------------------------------------------------


@dataclass(frozen=True)
class Marts:
    month: date
    reps: dict[str, dict]  # owner_id -> rep x month row for the month shown
    trend: dict[str, dict[date, dict]]  # owner_id -> month -> row, 12 months
    teams: dict[str, dict]  # team_id -> team x month row
    scorecard: dict[str, dict[str, dict]]  # owner_id -> kpi -> row
    words: dict[str, dict]  # owner_id -> strengths, weaknesses
    as_of_at: object
    open_deals: dict[str, dict[str, dict]]  # owner_id -> deal_id -> fct_deals row
    risks: dict[str, dict[str, dict]]  # owner_id -> deal_id -> mart_open_deal_risk row
    waterfalls: dict[str, dict]  # owner_id or "team:<team_id>" -> waterfall row of the month
    forecasts: dict[str, list[dict]]  # owner_id -> finished quarters' week-1 rows, newest first


def _dicts(con, sql: str, params=()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read_marts(warehouse: str) -> Marts:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        month, first = con.execute(
            "select cast(max(month_start) - interval 1 month as date), "
            "cast(max(month_start) - interval 12 month as date) "
            "from marts.mart_rep_performance_monthly"
        ).fetchone()
        trend: dict[str, dict[date, dict]] = {}
        for row in _dicts(
            con,
            "select * from marts.mart_rep_performance_monthly where month_start between ? and ?",
            [first, month],
        ):
            trend.setdefault(row["owner_id"], {})[row["month_start"]] = row
        reps = {owner: months[month] for owner, months in trend.items() if month in months}
        teams = {
            r["team_id"]: r
            for r in _dicts(
                con,
                "select * from marts.mart_team_performance_monthly where month_start = ?",
                [month],
            )
        }
        scorecard: dict[str, dict[str, dict]] = {}
        for r in _dicts(
            con, "select * from marts.mart_rep_scorecard where month_start = ?", [month]
        ):
            scorecard.setdefault(r["owner_id"], {})[r["kpi"]] = r
        words = {
            r["owner_id"]: r
            for r in _dicts(
                con, "select * from marts.mart_rep_scorecard_wide where month_start = ?", [month]
            )
        }
        (as_of_at,) = con.execute("select as_of_at from intermediate.int_data_as_of").fetchone()
        open_deals: dict[str, dict[str, dict]] = {}
        for r in _dicts(con, "select * from core.fct_deals where not is_closed"):
            open_deals.setdefault(r["owner_id"], {})[r["deal_id"]] = r
        risks: dict[str, dict[str, dict]] = {}
        for r in _dicts(con, "select * from marts.mart_open_deal_risk"):
            risks.setdefault(r["owner_id"], {})[r["deal_id"]] = r
        waterfalls = {
            (r["owner_id"] if r["aggregation_level"] == "rep" else f"team:{r['team_id']}"): r
            for r in _dicts(
                con,
                "select * from marts.mart_pipeline_waterfall where period_type = 'month' "
                "and period_start = ? and aggregation_level in ('rep', 'team')",
                [month],
            )
        }
        forecasts: dict[str, list[dict]] = {}
        for r in _dicts(
            con,
            "select * from marts.mart_forecast_calls where aggregation_level = 'rep' "
            "and period_type = 'quarter' and week_number = 1 and is_period_over "
            "and period_start <= ? order by period_start desc",
            [month],
        ):
            forecasts.setdefault(r["owner_id"], []).append(r)
        return Marts(
            month,
            reps,
            trend,
            teams,
            scorecard,
            words,
            as_of_at,
            open_deals,
            risks,
            waterfalls,
            forecasts,
        )
    finally:
        con.close()


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(nightly_runs: NightlyRuns) -> tuple[Path, Marts, NightlyRuns]:
    reports = Path(nightly_runs.warehouse).parent / "reports"
    return reports, read_marts(nightly_runs.warehouse), nightly_runs


def sample_reps(marts: Marts) -> list[str]:
    """Rep pages worth a browser (each Chromium start costs ~0.5 s): per team the best and
    the worst attainment, and the first reps without strengths or without weaknesses. The
    leaderboard, rendered too, shows every rep's figures."""
    chosen: list[str] = []
    teams: dict[str, list[str]] = {}
    for owner, rep in sorted(marts.reps.items()):
        teams.setdefault(rep["team_id"], []).append(owner)
    for owners in teams.values():
        by_attainment = sorted(owners, key=lambda o: marts.reps[o]["quota_attainment"] or 0.0)
        chosen += [by_attainment[-1], by_attainment[0]]
    for column in ("strengths", "weaknesses"):
        chosen += [o for o in sorted(marts.words) if not marts.words[o][column]][:1]
    return list(dict.fromkeys(o for o in chosen if o in marts.reps))


@pytest.fixture(scope="module")
def rendered(built) -> dict[str, Node]:
    """The leaderboard ("index") and the sampled rep pages (by owner id), as Chromium
    rendered them."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed at /usr/bin/chromium")
    reports, marts, _ = built
    reps = sample_reps(marts)
    pages = [reports / "index.html"] + [reports / "reps" / f"{o}.html" for o in reps]
    doms = render_in_chromium(pages)
    return {("index" if p.name == "index.html" else p.stem): dom for p, dom in doms.items()}


def rendered_reps(rendered: dict[str, Node]) -> list[str]:
    return [key for key in rendered if key != "index"]


# --- tests ------------------------------------------------------------------------------


def test_figures_read_as_money_with_currency_and_rates_as_percentages():
    assert fmt.money(Decimal("41670.685"), "AZN") == "41,670.69 AZN"
    assert fmt.money(None, "AZN") == fmt.MISSING
    assert fmt.percent(1.54) == "154.0%"
    assert fmt.percent(None) == fmt.MISSING  # NULL rate: no denominator, never 0%
    assert fmt.kpi_change("win_rate", -0.052, "AZN") == "−5.2 pts"
    assert fmt.kpi_change("pipeline_coverage", -0.0001, "AZN") == "±0.00×"
    assert fmt.month_label(date(2026, 9, 1)) == "September 2026"
    assert fmt.add_months(date(2026, 1, 1), -12) == date(2025, 1, 1)


def test_trend_line_breaks_at_a_month_without_data():
    svg = line_chart(
        ["Jan", "Feb", "Mar", "Apr"],
        [Series("Win rate", [0.5, 0.6, None, 0.4], "#000")],
        title="t",
        value_text=lambda v: f"{v:.0%}",
    )
    assert svg.count("<polyline") == 1  # Jan-Feb; Apr alone is a point
    assert svg.count("<circle") == 3
    assert "nan" not in svg.lower()


def test_reports_asset_reads_the_marts_and_runs_in_the_nightly_job():
    graph = defs.resolve_asset_graph()
    node = graph.get(ASSET)
    assert node.group_name == "reports"
    assert node.pools == {"duckdb"}
    assert {
        dg.AssetKey(["marts", "mart_rep_performance_monthly"]),
        dg.AssetKey(["marts", "mart_team_performance_monthly"]),
        dg.AssetKey(["marts", "mart_rep_scorecard"]),
        dg.AssetKey(["marts", "mart_rep_scorecard_wide"]),
        dg.AssetKey(["core", "fct_deals"]),
    } <= node.parent_keys
    job = defs.resolve_job_def("nightly_warehouse")
    assert ASSET in job.asset_layer.executable_asset_keys


def test_nightly_run_writes_a_page_per_rep_and_the_leaderboard(built):
    reports, marts, runs = built
    events = [e for e in runs.second.get_asset_materialization_events() if e.asset_key == ASSET]
    assert len(events) == 1
    metadata = events[0].materialization.metadata
    assert metadata["reps_written"].value == len(marts.reps) > 0
    assert metadata["month"].value == marts.month.isoformat()
    assert Path(metadata["path"].value) == reports / "index.html"
    assert (reports / "index.html").is_file()
    assert sorted(p.stem for p in (reports / "reps").glob("*.html")) == sorted(marts.reps)
    html = (reports / "reps" / f"{next(iter(marts.reps))}.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html
    assert "<script" not in html
    # nothing to fetch: the only URL is the SVG namespace
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}


@needs_chromium
def test_rep_page_shows_the_reps_month_as_in_the_marts(built, rendered):
    _, marts, _ = built
    for owner_id in rendered_reps(rendered):
        rep = marts.reps[owner_id]
        page = rendered[owner_id]
        assert norm(rep["rep_name"]) in page.text()
        assert page.one(id="rep-name").text() == norm(rep["rep_name"])
        assert page.one(id="team-name").text() == norm(rep["team_name"])
        assert page.one(id="month").text() == fmt.month_label(marts.month)
        assert page.one(id="kpi-bookings").text() == fmt.money(rep["bookings"], CURRENCY)
        assert page.one(id="kpi-quota").text() == fmt.money(rep["quota"], CURRENCY)
        assert page.one(id="kpi-quota-attainment").text() == fmt.percent(rep["quota_attainment"])
        assert page.one(id="kpi-win-rate").text() == fmt.percent(rep["win_rate"])


@needs_chromium
def test_rep_page_trend_covers_twelve_months_ending_in_the_month(built, rendered):
    _, marts, _ = built
    for owner_id in rendered_reps(rendered):
        months = marts.trend[owner_id]
        page = rendered[owner_id]
        charts = page.find_all("svg", class_="chart")
        assert len(charts) == 3  # the trend lines, the bars against the team, the waterfall
        rows = page.one("table", id="trend").find_all("tr")[1:]
        assert len(rows) == 12
        shown = {}
        for row in rows:
            cells = [c.text() for c in row.find_all("td")]
            shown[cells[0]] = cells[1:5]
        assert fmt.month_label(marts.month) == rows[0].find_all("td")[0].text()
        for m, r in months.items():
            assert shown[fmt.month_label(m)] == [
                fmt.money(r["bookings"], CURRENCY),
                fmt.money(r["quota"], CURRENCY),
                fmt.percent(r["quota_attainment"]),
                fmt.percent(r["win_rate"]),
            ], (owner_id, m)


@needs_chromium
def test_rep_page_compares_each_kpi_with_the_team_median_and_names_strengths(built, rendered):
    _, marts, _ = built
    for owner_id in rendered_reps(rendered):
        page = rendered[owner_id]
        kpis = marts.scorecard[owner_id]
        rows = [n for n in page.one("table", id="scorecard").iter() if "data-kpi" in n.attrs]
        assert [r.attrs["data-kpi"] for r in rows] == sorted(
            kpis, key=lambda k: kpis[k]["kpi_order"]
        )
        for row in rows:
            k = kpis[row.attrs["data-kpi"]]
            cells = [c.text() for c in row.find_all("td")]
            assert cells[1] == fmt.kpi_value(k["kpi"], k["value"], CURRENCY)
            assert cells[2] == fmt.kpi_value(k["kpi"], k["team_median"], CURRENCY)
            # the bar chart labels show the same two figures
        bars = page.find_all("svg", class_="chart")[1].text()
        for k in kpis.values():
            assert k["kpi_label"] in bars
            assert fmt.kpi_value(k["kpi"], k["value"], CURRENCY) in bars
        words = marts.words[owner_id]
        assert page.one(id="strengths").text() == (norm(words["strengths"]) or "None this period")
        assert page.one(id="weaknesses").text() == (norm(words["weaknesses"]) or "None this period")


@needs_chromium
def test_rep_page_lists_the_reps_deals_at_risk_with_their_reasons(built, rendered):
    """Every high- and medium-risk open deal of the rep (mart_open_deal_risk), high first,
    with the mart's level and reasons; no other deal."""
    _, marts, _ = built
    listed_somewhere = 0
    for owner_id in rendered_reps(rendered):
        page = rendered[owner_id]
        mine = {
            d: r
            for d, r in marts.risks.get(owner_id, {}).items()
            if r["risk_level"] in ("high", "medium")
        }
        rows = [n for n in page.iter() if n.tag == "tr" and "data-deal-id" in n.attrs]
        shown = {r.attrs["data-deal-id"]: r for r in rows}
        assert set(shown) == set(mine)
        levels = [r.attrs["data-risk"] for r in rows]
        assert levels == sorted(levels, key=lambda level: level != "high")
        for deal_id, row in shown.items():
            risk = mine[deal_id]
            assert row.attrs["data-risk"] == risk["risk_level"]
            assert row.one("td", class_="reasons").text() == norm(risk["risk_reasons"])
            assert risk["risk_reasons"]
            assert marts.open_deals[owner_id][deal_id]  # open, and the rep's
        listed_somewhere += len(shown)
        if not shown:
            assert page.one(id="risks").text() == "No open deal at risk."
    assert listed_somewhere > 0


def _shown_moves(table: Node) -> dict[str, tuple[str, str]]:
    return {
        row.attrs["data-move"]: (
            row.one("td", class_="deals").text(),
            row.one("td", class_="amount").text(),
        )
        for row in table.iter()
        if row.tag == "tr" and "data-move" in row.attrs
    }


def _expected_moves(row: dict) -> dict[str, tuple[str, str]]:
    signs = {"pipeline_start": "", "pipeline_end": ""} | {
        m: "−" for m in ("decrease", "pushed_out", "won", "lost", "deleted", "transferred_out")
    }
    moves = [c[: -len("_deals")] for c in row if c.endswith("_deals")]
    return {
        m: (str(row[f"{m}_deals"]), signs.get(m, "+") + fmt.money(row[f"{m}_amount"], CURRENCY))
        for m in moves
        if row[f"{m}_deals"] or m in ("pipeline_start", "pipeline_end")
    }


@needs_chromium
def test_rep_page_waterfall_and_forecast_calls_are_the_marts(built, rendered):
    _, marts, _ = built
    for owner_id in rendered_reps(rendered):
        page = rendered[owner_id]
        waterfall = marts.waterfalls[owner_id]
        assert _shown_moves(page.one(id="waterfall")) == _expected_moves(waterfall)
        bars = page.one(id="waterfall-chart").find_all("rect")
        assert len(bars) == len(_expected_moves(waterfall))  # a bar per move shown
        quarters = marts.forecasts.get(owner_id, [])[:4]
        if not quarters:
            assert page.one(id="forecast").tag == "p"
            continue
        rows = [
            n for n in page.one(id="forecast").iter() if n.tag == "tr" and "data-quarter" in n.attrs
        ]
        assert [r.attrs["data-quarter"] for r in rows] == [
            q["period_start"].isoformat() for q in quarters
        ]
        for row, q in zip(rows, quarters, strict=True):
            assert row.one("td", class_="commit").text() == fmt.money(q["commit_amount"], CURRENCY)
            assert row.one("td", class_="bookings").text() == fmt.money(q["bookings"], CURRENCY)
            assert row.one("td", class_="bias").text() == fmt.signed_percent(q["commit_bias"])
            assert row.one("td", class_="hit").text() == fmt.percent(q["commit_hit_rate"])


@needs_chromium
def test_leaderboard_ranks_every_rep_of_each_team_by_attainment(built, rendered):
    reports, marts, _ = built
    page = rendered["index"]
    assert page.one(id="month").text() == fmt.month_label(marts.month)
    sections = page.find_all("section", class_="team")
    assert {s.attrs["data-team-id"] for s in sections} == {
        r["team_id"] for r in marts.reps.values()
    }
    for section in sections:
        team_id = section.attrs["data-team-id"]
        team_reps = {o: r for o, r in marts.reps.items() if r["team_id"] == team_id}
        assert section.one("h2").text() == norm(next(iter(team_reps.values()))["team_name"])
        rows = [n for n in section.iter() if n.tag == "tr" and "data-owner-id" in n.attrs]
        owners = [r.attrs["data-owner-id"] for r in rows]
        assert sorted(owners) == sorted(team_reps)
        attainments = [team_reps[o]["quota_attainment"] for o in owners]
        known = [a for a in attainments if a is not None]
        assert known == sorted(known, reverse=True)
        assert attainments[: len(known)] == known  # reps without quota come last
        for rank, (row, owner) in enumerate(zip(rows, owners, strict=True), start=1):
            rep = team_reps[owner]
            assert row.one("td", class_="rank").text() == str(rank)
            link = row.one("a")
            assert link.text() == norm(rep["rep_name"])
            assert (reports / link.attrs["href"]).resolve() == (
                reports / "reps" / f"{owner}.html"
            ).resolve()
            assert row.one("td", class_="attainment").text() == fmt.percent(rep["quota_attainment"])
            assert row.one("td", class_="bookings").text() == fmt.money(rep["bookings"], CURRENCY)
            assert row.one("td", class_="quota").text() == fmt.money(rep["quota"], CURRENCY)
            assert row.one("td", class_="win-rate").text() == fmt.percent(rep["win_rate"])
            high = [r for r in marts.risks.get(owner, {}).values() if r["risk_level"] == "high"]
            assert row.one("td", class_="at-risk").text() == str(len(high))
        table = section.one(id=f"waterfall-{team_id}")
        assert _shown_moves(table) == _expected_moves(marts.waterfalls[f"team:{team_id}"])
        team = marts.teams[team_id]
        total = section.one("tr", class_="total").text()
        assert fmt.money(team["bookings"], CURRENCY) in total
        assert fmt.percent(team["quota_attainment"]) in total
