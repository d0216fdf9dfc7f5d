"""Open the dashboard in headless Chromium as a user would, and report what each chart drew.

Runs in the BI environment (Playwright driving the system's /usr/bin/chromium; no browser
download): logs in through Superset's login page, opens the dashboard, waits until every
chart has finished loading, and prints one JSON document: per chart, whether it drew
something (a canvas, an SVG or table rows), the error or "no results" it shows, and the
chart-data answers the page received (status, rows). With --screenshot, a full-page PNG;
with --team, the same again after picking that team in the dashboard's Team filter.

    .venv-bi/bin/python -m bi.superset.browser --url http://127.0.0.1:8088 \
        --password-file data/superset/admin_password [--screenshot docs/dashboard.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bi.superset.dashboard import SLUG

CHROMIUM = "/usr/bin/chromium"

# What each chart on the page shows, read from Superset's own test hooks (data-test).
_CHARTS_JS = """
() => [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')].map(h => {
  const named = h.querySelector('[data-test-chart-name]');
  const typed = h.querySelector('[data-test-viz-type]');
  const body = h.querySelector('[data-test="chart-container"]') || h;
  return {
    name: named && named.getAttribute('data-test-chart-name'),
    chart_id: named && Number(named.getAttribute('data-test-chart-id')),
    viz_type: typed && typed.getAttribute('data-test-viz-type'),
    loading: !!h.querySelector('[data-test="loading-indicator"]'),
    error: [...h.querySelectorAll('.ant-alert-error, [data-test="error-tooltip"],'
      + ' [data-test="query-error-tooltip-trigger"], [role="alert"]')]
      .map(e => e.innerText.trim()).join(' | ') || null,
    empty: !!h.querySelector('[data-test="empty-state"]'),
    canvas: body.querySelectorAll('canvas').length,
    svg: body.querySelectorAll('svg').length,
    table_rows: body.querySelectorAll('table tbody tr').length,
    text: body.innerText.slice(0, 200),
  };
})
"""


def _wait_for_charts(page, answers: list[dict], expected_answers: int) -> list[dict]:
    """Every chart's state once none is loading and the page has its chart-data answers."""
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        page.mouse.wheel(0, 2000)  # charts below the fold load when scrolled into view
        charts = page.evaluate(_CHARTS_JS)
        if not any(c["loading"] for c in charts) and (
            len([a for a in answers if a.get("slice_id")]) >= expected_answers
        ):
            break
        time.sleep(0.5)
    time.sleep(2)  # the last ECharts animation
    return page.evaluate(_CHARTS_JS)


def check(
    url: str,
    user: str,
    password: str,
    expected: int,
    screenshot: Path | None = None,
    team: str | None = None,
    excluded_by_team: int = 0,
) -> dict:
    answers: list[dict] = []

    def on_response(response):
        if "/api/v1/chart/data" not in response.url or response.request.method != "POST":
            return
        entry = {"status": response.status}
        try:
            body = json.loads(response.request.post_data or "{}")
            entry["slice_id"] = body.get("form_data", {}).get("slice_id")
            entry["result"] = [
                {"rowcount": r.get("rowcount"), "data": r.get("data"), "error": r.get("error")}
                for r in response.json().get("result", [])
            ]
        except Exception as exc:  # noqa: BLE001 - an unreadable answer is itself reported
            entry["unreadable"] = repr(exc)
        answers.append(entry)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.on("response", on_response)
            page.goto(f"{url}/login/", wait_until="networkidle")
            page.fill("#username", user)
            page.fill("#password", password)
            page.keyboard.press("Enter")
            page.wait_for_url(lambda u: "/login" not in u, timeout=60_000)
            page.goto(f"{url}/superset/dashboard/{SLUG}/", wait_until="domcontentloaded")
            charts = _wait_for_charts(page, answers, expected)
            result = {"title": page.title(), "charts": charts, "answers": list(answers)}
            if screenshot:
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(screenshot), full_page=True)
            if team:
                # The Team filter (the filter bar's first select), as a user picks it.
                answers.clear()
                page.locator('[data-test="form-item-value"]').first.click()
                page.keyboard.type(team)
                page.keyboard.press("Enter")
                page.keyboard.press("Escape")
                page.locator('[data-test="filter-bar__apply-button"]').click()
                charts = _wait_for_charts(page, answers, expected - excluded_by_team)
                result["team"] = {"charts": charts, "answers": list(answers)}
            return result
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password-file", type=Path, required=True)
    parser.add_argument("--expected-charts", type=int, default=1)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--team", help="then pick this team in the Team filter")
    parser.add_argument("--excluded-by-team", type=int, default=0, help="charts it leaves")
    args = parser.parse_args(argv)
    password = args.password_file.read_text().strip()
    result = check(
        args.url,
        args.user,
        password,
        args.expected_charts,
        args.screenshot,
        args.team,
        args.excluded_by_team,
    )
    json.dump(result, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
