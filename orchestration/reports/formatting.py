"""How numbers and dates read on the report pages: one function per kind of figure, shared
by the pages and by the tests that compare the pages with the marts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

Number = float | int | Decimal

MISSING = "—"

# How each scorecard KPI reads; a KPI added to the mart later falls back to "number".
KPI_KINDS: dict[str, str] = {
    "bookings": "money",
    "avg_deal_size": "money",
    "quota_attainment": "percent",
    "win_rate": "percent",
    "lead_conversion_rate": "percent",
    "pipeline_coverage": "ratio",
    "sales_cycle_days_median": "days",
    "activities": "count",
    "csat_avg": "score",
}


def money(value: Number | None, currency: str) -> str:
    """41670.69 -> "41,670.69 AZN"."""
    if value is None:
        return MISSING
    cents = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{cents:,.2f} {currency}"


def percent(value: Number | None) -> str:
    """A rate (0.3441...) as a percentage with one decimal: "34.4%"."""
    if value is None:
        return MISSING
    return f"{float(value) * 100:.1f}%"


def signed_percent(value: Number | None) -> str:
    """A signed rate: -0.452 -> "−45.2%", 0.1 -> "+10.0%"."""
    if value is None:
        return MISSING
    v = float(value) * 100
    return f"{'+' if v > 0 else '−' if v < 0 else '±'}{abs(v):.1f}%"


def ratio(value: Number | None) -> str:
    """Coverage-style multiples: 1.0569 -> "1.06×"."""
    if value is None:
        return MISSING
    return f"{float(value):.2f}×"


def days(value: Number | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value):,.1f} days"


def count(value: Number | None) -> str:
    if value is None:
        return MISSING
    return f"{round(float(value)):,}"


def score(value: Number | None) -> str:
    if value is None:
        return MISSING
    return f"{float(value):.2f}"


def kpi_value(kpi: str, value: Number | None, currency: str) -> str:
    """A scorecard value the way its KPI reads."""
    kind = KPI_KINDS.get(kpi, "number")
    if kind == "money":
        return money(value, currency)
    if kind == "percent":
        return percent(value)
    if kind == "ratio":
        return ratio(value)
    if kind == "days":
        return days(value)
    if kind == "count":
        return count(value)
    return score(value)


def kpi_change(kpi: str, delta: Number | None, currency: str) -> str:
    """A change between two windows, signed; rates change in percentage points."""
    if delta is None:
        return MISSING
    d = float(delta)
    if KPI_KINDS.get(kpi, "number") == "percent":
        text = f"{abs(d) * 100:.1f} pts"
    else:
        text = kpi_value(kpi, abs(d), currency)
    if not any(ch in "123456789" for ch in text):
        return f"±{text}"  # no change at the precision shown
    return f"{'+' if d > 0 else '−'}{text}"


def month_label(month_start: date) -> str:
    """date(2026, 9, 1) -> "September 2026"."""
    return month_start.strftime("%B %Y")


def short_month(month_start: date) -> str:
    """date(2026, 9, 1) -> "Sep 26" (chart axes)."""
    return month_start.strftime("%b %y")


def quarter_label(quarter_start: date) -> str:
    """A (fiscal) quarter by its months: date(2026, 7, 1) -> "Jul–Sep 2026"."""
    last = add_months(quarter_start, 2)
    return f"{quarter_start:%b}–{last:%b %Y}"


def day_label(day: date | datetime | None) -> str:
    """date(2026, 10, 3) -> "3 Oct 2026"."""
    if day is None:
        return MISSING
    return f"{day.day} {day.strftime('%b %Y')}"


def add_months(month_start: date, months: int) -> date:
    """The first day of the month `months` after (or before) `month_start`'s month."""
    index = month_start.year * 12 + month_start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
