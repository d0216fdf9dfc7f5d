"""Inline SVG charts drawn in Python: no scripts, no fonts or files to fetch, so a page
renders the same offline, in a browser, a mail client or a PDF printer."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family=\"system-ui, 'DejaVu Sans', sans-serif\""
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
TEAM = "#9ca3af"
TONES = {"strength": "#15803d", "weakness": "#c2410c", "neutral": "#2563eb"}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str


@dataclass(frozen=True)
class BarPair:
    """One KPI: the rep's value beside a benchmark, on the KPI's own scale."""

    label: str
    value: float | None
    benchmark: float | None
    value_text: str
    benchmark_text: str
    tone: str = "neutral"  # strength | weakness | neutral


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, size: int = 12, fill: str = INK, **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}"{extra}>'
        f"{escape(content)}</text>"
    )


def nice_ceiling(value: float, step: float) -> float:
    """The smallest multiple of `step` at or above `value` (and at least one step)."""
    return max(step, math.ceil(value / step - 1e-9) * step)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    value_text: Callable[[float], str],
    floor_max: float = 1.0,
    reference: float | None = 1.0,
    reference_label: str = "",
) -> str:
    """Lines over evenly spaced x labels; a missing value breaks its line. The y axis
    starts at 0 and reaches at least `floor_max` (100% for rates)."""
    width, height = 720, 280
    left, right, top, bottom = 52, 20, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for s in series for v in s.values if v is not None]
    peak = max([floor_max, *present])
    step = 0.25 if peak <= 1.5 else 0.5 if peak <= 3 else nice_ceiling(peak / 6, 1.0)
    y_max = nice_ceiling(peak, step)
    n = len(x_labels)

    def x_at(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - max(v, 0.0) / y_max)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    ticks = round(y_max / step)
    for t in range(ticks + 1):
        v = t * step
        y = y_at(v)
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, y + 4, value_text(v), size=11, fill=MUTED, text_anchor="end"))
    if reference is not None and reference <= y_max:
        y = y_at(reference)
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        )
        if reference_label:
            parts.append(
                _text(width - right, y - 5, reference_label, size=11, fill=MUTED, text_anchor="end")
            )
    for i, label in enumerate(x_labels):
        parts.append(
            _text(x_at(i), height - bottom + 18, label, size=11, fill=MUTED, text_anchor="middle")
        )
    for s in series:
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((x_at(i), y_at(v)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{s.color}" '
                    'stroke-width="2.5" stroke-linejoin="round"/>'
                )
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(
                    f'<circle cx="{_n(x_at(i))}" cy="{_n(y_at(v))}" r="3.5" fill="{s.color}">'
                    f"<title>{escape(f'{x_labels[i]}: {s.name} {value_text(v)}')}</title></circle>"
                )
    x = left
    for s in series:
        parts.append(f'<rect x="{x}" y="8" width="14" height="4" rx="1" fill="{s.color}"/>')
        parts.append(_text(x + 20, 15, s.name, size=12))
        x += 40 + 7 * len(s.name)
    parts.append("</svg>")
    return "\n".join(parts)


def paired_bars(
    rows: Sequence[BarPair],
    *,
    title: str,
    value_name: str = "You",
    benchmark_name: str = "Team median",
) -> str:
    """Per row, two horizontal bars (value, benchmark) scaled to the larger of the two, so
    KPIs in different units share one chart."""
    width = 720
    label_w, text_w = 210, 150
    bar_w = width - label_w - text_w - 20
    row_h, bar_h, top = 48, 14, 30
    height = top + row_h * len(rows) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    legend = [
        (TONES["neutral"], value_name),
        (TEAM, benchmark_name),
        (TONES["strength"], "Strength"),
        (TONES["weakness"], "Weakness"),
    ]
    x = label_w
    for color, name in legend:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" rx="2" fill="{color}"/>')
        parts.append(_text(x + 17, 16, name, size=12))
        x += 34 + 7 * len(name)
    for i, row in enumerate(rows):
        y0 = top + i * row_h
        if i:
            parts.append(f'<line x1="0" y1="{y0 - 5}" x2="{width}" y2="{y0 - 5}" stroke="{GRID}"/>')
        parts.append(_text(0, y0 + bar_h + 6, row.label, size=13))
        scale = max(abs(row.value or 0.0), abs(row.benchmark or 0.0)) or 1.0
        for j, (v, text, color) in enumerate(
            (
                (row.value, row.value_text, TONES.get(row.tone, TONES["neutral"])),
                (row.benchmark, row.benchmark_text, TEAM),
            )
        ):
            y = y0 + j * (bar_h + 4)
            w = 0.0 if v is None else bar_w * max(v, 0.0) / scale
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{_n(max(w, 1.5))}" height="{bar_h}" '
                f'rx="2" fill="{color}"/>'
            )
            parts.append(
                _text(label_w + w + 6, y + bar_h - 3, text, size=12, fill=INK if j == 0 else MUTED)
            )
    parts.append("</svg>")
    return "\n".join(parts)


def meter(fraction: float | None, *, width: int = 96, full: float = 1.0) -> str:
    """A small inline bar (leaderboard attainment); a tick marks `full` (100%)."""
    height = 10
    limit = max(full * 1.5, fraction or 0.0)
    w = 0.0 if fraction is None else width * max(fraction, 0.0) / limit
    tick = width * full / limit
    color = TONES["strength"] if (fraction or 0.0) >= full else TONES["neutral"]
    return (
        f'<svg class="meter" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="{height}" rx="2" fill="{GRID}"/>'
        f'<rect width="{_n(w)}" height="{height}" rx="2" fill="{color}"/>'
        f'<line x1="{_n(tick)}" y1="0" x2="{_n(tick)}" y2="{height}" stroke="{INK}"/></svg>'
    )


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: a total (start, end) or a move up or down."""

    label: str
    amount: float
    kind: str  # total | up | down
    text: str


STEP_COLORS = {"total": "#2563eb", "up": "#15803d", "down": "#c2410c"}


def waterfall_chart(steps: Sequence[Step], *, title: str) -> str:
    """Vertical bars from a running total: totals stand on zero, moves float from where
    the previous bar ended (up green, down orange)."""
    width, height = 720, 300
    left, right, top, bottom = 16, 16, 30, 66
    plot_w, plot_h = width - left - right, height - top - bottom
    level, spans = 0.0, []
    for s in steps:
        if s.kind == "total":
            spans.append((0.0, s.amount))
            level = s.amount
        else:
            end = level + (s.amount if s.kind == "up" else -s.amount)
            spans.append((level, end))
            level = end
    peak = max([1.0, *(max(a, b) for a, b in spans)])
    slot = plot_w / max(len(steps), 1)

    def y_at(v: float) -> float:
        return top + plot_h * (1 - max(v, 0.0) / peak)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{_n(y_at(0))}" x2="{width - right}" y2="{_n(y_at(0))}" '
        f'stroke="{GRID}"/>',
    ]
    for i, (s, (a, b)) in enumerate(zip(steps, spans, strict=True)):
        x = left + i * slot + slot * 0.15
        y, h = y_at(max(a, b)), abs(y_at(a) - y_at(b))
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(slot * 0.7)}" height="{_n(max(h, 1.0))}" '
            f'rx="2" fill="{STEP_COLORS[s.kind]}"><title>{escape(f"{s.label}: {s.text}")}</title>'
            "</rect>"
        )
        parts.append(_text(x + slot * 0.35, y - 4, s.text, size=10, fill=INK, text_anchor="middle"))
        parts.append(
            _text(
                x + slot * 0.35,
                height - bottom + 14,
                s.label,
                size=10,
                fill=MUTED,
                text_anchor="end",
                transform=f"rotate(-35 {_n(x + slot * 0.35)} {_n(height - bottom + 14)})",
            )
        )
    parts.append("</svg>")
    return "\n".join(parts)
