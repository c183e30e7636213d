"""Charts drawn on the server as SVG (no script, no library, nothing from a CDN; the page's CSP allows them):
deliveries per second, the attempts' failure rate and latency p50/p99, over the last hour and the last day.

Each point is a circle with a <title> (the browser shows it on hover); the axes carry their labels. Colours
come from style.css through class names, so the SVG has no style attribute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from hooks.metrics.series import Point, has_data, series
from hooks.settings import get_settings
from hooks.store.connection import get_redis

W, H = 360, 150  # the drawing's size
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 14, 30  # room for the axes' labels
SPAN_NAMES = {"1h": "last hour", "24h": "last day"}


@dataclass(frozen=True)
class Line:
    """One line of a chart: its class (colour), label, and how a point's value is read (None: no value)."""

    css: str
    label: str
    value: Callable[[Point], float | None]


CHARTS: list[tuple[str, str, list[Line]]] = [
    ("Deliveries finished per second", "/s", [Line("rate", "deliveries/s", lambda p: p.per_second)]),
    (
        "Attempts failed",
        "%",
        [Line("fail", "failed", lambda p: None if p.failure_rate is None else p.failure_rate * 100)],
    ),
    (
        "Attempt latency",
        " ms",
        [Line("p50", "p50", lambda p: p.figures.p50_ms), Line("p99", "p99", lambda p: p.figures.p99_ms)],
    ),
]


def charts_for(webhook_id: str) -> dict[str, list[Markup] | None]:
    """Every chart of one webhook (or `ALL`) per span; None for a span without any data (the empty state)."""
    settings = get_settings()
    client = get_redis(settings)
    now = time.time()
    out: dict[str, list[Markup] | None] = {}
    for span in SPAN_NAMES:
        points = series(client, settings, webhook_id, span, now_s=now)
        out[span] = [chart(title, unit, lines, points, span) for title, unit, lines in CHARTS] if has_data(points) \
            else None  # fmt: skip
    return out


def chart(title: str, unit: str, lines: list[Line], points: list[Point], span: str) -> Markup:
    """One SVG line chart of `points` (oldest first)."""
    values = [v for line in lines for v in map(line.value, points) if v is not None]
    top = _nice(max(values, default=0.0))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * i / max(1, len(points) - 1)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{escape(title)}, '
             f'{SPAN_NAMES[span]}"><title>{escape(title)}, {SPAN_NAMES[span]}</title>',
             _axes(top, unit, points, span, y)]  # fmt: skip
    for line in lines:
        dots = [(x(i), y(v), p, v) for i, p in enumerate(points) if (v := line.value(p)) is not None]
        if len(dots) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in dots)
            parts.append(f'<polyline class="line {line.css}" points="{path}" fill="none"/>')
        for px, py, p, v in dots:
            parts.append(f'<circle class="point {line.css}" cx="{px:.1f}" cy="{py:.1f}" r="2.5"><title>'
                         f"{_clock(p.start_s)} UTC: {escape(line.label)} {_fmt(v)}{escape(unit)}</title></circle>")  # fmt: skip
    parts.append(_legend(lines))
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(top: float, unit: str, points: list[Point], span: str, y: Callable[[float], float]) -> str:
    """The frame, three horizontal grid lines with their values, and the first, middle and last times."""
    out = [f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}"/>',
           f'<line class="axis" x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}"/>']  # fmt: skip
    for v in (0.0, top / 2, top):
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y(v):.1f}" x2="{W - RIGHT}" y2="{y(v):.1f}"/>')
        out.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{_fmt(v)}{escape(unit)}</text>'
        )
    plot_w = W - LEFT - RIGHT
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        px = LEFT + plot_w * i / max(1, len(points) - 1)
        anchor = "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")
        label = "now" if i == len(points) - 1 else _clock(points[i].start_s)
        out.append(f'<text class="tick" x="{px:.1f}" y="{H - BOTTOM + 16}" text-anchor="{anchor}">{label}</text>')
    return "".join(out)


def _legend(lines: list[Line]) -> str:
    if len(lines) < 2:
        return ""
    return "".join(f'<text class="legend {line.css}" x="{LEFT + 8 + 40 * i}" y="{TOP + 10}">{escape(line.label)}</text>'
                   for i, line in enumerate(lines))  # fmt: skip


def _nice(v: float) -> float:
    """A round top for the y axis at or above v (1, 2 or 5 times a power of ten)."""
    if v <= 0:
        return 1.0
    step = 10 ** len(str(int(v))) / 10 if v >= 1 else 0.01
    while True:
        for m in (1, 2, 5, 10):
            if step * m >= v:
                return step * m
        step *= 10


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def _clock(ts: float) -> str:
    return time.strftime("%H:%M", time.gmtime(ts))
