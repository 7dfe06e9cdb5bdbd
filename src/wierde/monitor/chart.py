"""Charts as SVG drawn on the server: no JavaScript library, no CDN, the same picture on the page and in downloads.

Every chart carries its own text alternative (`<title>` and `<desc>`, referenced by `aria-labelledby`); pages
also show the data table behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

INK, MUTED, LINE, GRID, TARGET = "#1b2430", "#4a5565", "#0b5563", "#d5dbe3", "#a6192e"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', sans-serif"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering low..high."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10) + 0.0)  # + 0.0 turns -0.0 into 0.0, which prints without a sign
        value += step
    return ticks


def _range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low >= 0 and high > 0 and low < high * 0.6:
        low = 0.0  # counts and shares read more honestly from zero, unless that flattens the line
    return low, high


def line_chart(points: Sequence[tuple[str, float | None]], *, title: str, desc: str, fmt: Callable[[float], str],
               target: tuple[str, float] | None = None, uid: str = "chart", standalone: bool = False,
               width: int = 640, height: int = 260) -> str:
    """A line over the periods (gaps where a value is missing), with the target as a dashed line when given."""
    known = [v for _, v in points if v is not None]
    ticks = nice_ticks(*_range([*known, *([target[1]] if target else [])] or [0.0]))
    left, right, top, bottom = 72, 16, 14, 40
    inner_w, inner_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (inner_w / 2 if len(points) == 1 else inner_w * i / (len(points) - 1))

    def y(v: float) -> float:
        return top + inner_h * (1 - (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1))

    parts = [_open(uid, title, desc, width, height, standalone)]
    for tick in ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12" fill="{INK}">'
                     f'{escape(fmt(tick))}</text>')
    parts += [_x_labels(points, x, height - bottom + 18), _line(points, x, y)]
    if target is not None:
        ty = y(target[1])
        label_y = ty - 6 if ty - 6 > top + 10 else ty + 16  # below the line where above it would be cut off
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{TARGET}" '
                     f'stroke-width="2" stroke-dasharray="6 4"/><text x="{width - right}" y="{label_y:.1f}" '
                     f'text-anchor="end" font-size="12" fill="{TARGET}" stroke="#ffffff" stroke-width="3" '
                     f'paint-order="stroke">{escape(target[0])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _open(uid: str, title: str, desc: str, width: int, height: int, standalone: bool) -> str:
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "")
    svg = (f'{head}<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-labelledby="{uid}-title {uid}-desc" font-family="{escape(FONT)}" '
           f'class="chart"><title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}'
           "</desc>")
    return svg + ('<rect width="100%" height="100%" fill="#ffffff"/>' if standalone else "")


def _x_labels(points: Sequence[tuple[str, float | None]], x: Callable[[int], float], baseline: float) -> str:
    """The first and last period always, others only where they do not crowd each other; the last one ends at the
    plot's edge so it is never cut off."""
    last = len(points) - 1
    every = max(1, math.ceil(len(points) / 8))
    shown = {i for i in range(0, len(points), every) if i == last or last - i >= every} | {last}
    return "".join(f'<text x="{x(i):.1f}" y="{baseline:.1f}" text-anchor="{"end" if i == last and last else "middle"}" '
                   f'font-size="12" fill="{INK}">{escape(label)}</text>'
                   for i, (label, _) in enumerate(points) if i in shown)


def _line(points: Sequence[tuple[str, float | None]], x: Callable[[int], float],
          y: Callable[[float], float]) -> str:
    segments: list[list[str]] = [[]]
    dots = []
    for i, (_, value) in enumerate(points):
        if value is None:
            segments.append([])
            continue
        segments[-1].append(f"{x(i):.1f},{y(value):.1f}")
        dots.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{LINE}"/>')
    lines = "".join(f'<polyline points="{" ".join(s)}" fill="none" stroke="{LINE}" stroke-width="2.5"/>'
                    for s in segments if len(s) > 1)
    return lines + "".join(dots)


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 32) -> str:
    """A small line without axes; decorative (aria-hidden): the card says the same in words and in a table."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0

    def x(i: int) -> float:
        return 2 + (width - 4) * (i / (len(values) - 1) if len(values) > 1 else 0.5)

    coords = [f"{x(i):.1f},{height - 3 - (height - 6) * (v - low) / span:.1f}"
              for i, v in enumerate(values) if v is not None]
    last = coords[-1].split(",")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" aria-hidden="true" focusable="false" class="sparkline">'
            f'<polyline points="{" ".join(coords)}" fill="none" stroke="{LINE}" stroke-width="2"/>'
            f'<circle cx="{last[0]}" cy="{last[1]}" r="3" fill="{LINE}"/></svg>')
