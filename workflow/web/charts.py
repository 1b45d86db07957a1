"""Geometry of the server-rendered SVG charts (the template draws them; no JavaScript)."""
from __future__ import annotations

import math
from dataclasses import dataclass


def nice_step(value: int, ticks: int = 5) -> int:
    """A round tick step (1, 2, 5 × 10ⁿ) giving about ``ticks`` intervals up to ``value``."""
    if value <= ticks:
        return 1
    raw = value / ticks
    exponent = 10 ** int(math.floor(math.log10(raw)))
    for step in (1, 2, 5, 10):
        if raw <= step * exponent:
            return int(step * exponent)
    return int(10 * exponent)  # pragma: no cover


def nice_max(value: int) -> int:
    """The axis maximum: ``value`` rounded up to a whole number of steps."""
    step = nice_step(max(value, 1))
    return max(step, math.ceil(max(value, 1) / step) * step)


def shorten(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Bar:
    label: str
    full_label: str
    y: float
    open: int
    late: int
    open_width: float
    late_width: float


@dataclass
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_width: int
    top: int
    row_height: int
    bar_height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]
    labels_above: bool = False


def open_late_chart(rows, *, width: int = 640, plot_left: int = 250, row_height: int = 34,
                    labels_above: bool = False) -> BarChart:
    """Two bars per unit: open tasks and, under it, those late now. ``rows`` have unit, open, late.

    ``labels_above`` draws each unit's name above its bars across the whole width (the narrow chart
    of phones: a 360-unit wide drawing keeps its 13-unit labels readable at 390 px)."""
    top, bottom = 34, 28
    if labels_above:
        plot_left, row_height, top = 8, row_height + 18, 50
    plot_width = width - plot_left - 40
    maximum = nice_max(max([r.open for r in rows] + [r.late for r in rows] + [1]))
    scale = plot_width / maximum
    bar_height = (row_height - 10) / 2
    bars = []
    for index, row in enumerate(rows):
        bars.append(Bar(label=shorten(row.unit.name, 48 if labels_above else 34), full_label=row.unit.name,
                        y=top + index * row_height + (20 if labels_above else 5),
                        open=row.open, late=row.late, open_width=round(row.open * scale, 1),
                        late_width=round(row.late * scale, 1)))
    step = nice_step(maximum)
    ticks = [(round(plot_left + value * scale, 1), value) for value in range(0, maximum + 1, step)]
    height = top + max(1, len(rows)) * row_height + bottom
    return BarChart(width=width, height=height, plot_left=plot_left, plot_width=plot_width, top=top,
                    row_height=row_height, bar_height=(row_height - 28) / 2 if labels_above else bar_height,
                    bars=bars, ticks=ticks, labels_above=labels_above)


def narrow_chart(rows) -> BarChart:
    """The phone version of ``open_late_chart``: 360 wide, names above the bars."""
    return open_late_chart(rows, width=360, labels_above=True)
