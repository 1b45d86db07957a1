"""Geometry of an indicator's history chart (server-rendered SVG, drawn by the template; no JavaScript)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from workflow.targets import format_number


@dataclass
class Point:
    x: float
    y: float
    label: str
    value: str
    count: int
    attainment: str | None


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    points: list
    path: str
    ticks: list            # (y, label)
    target_lines: list     # (y, label)


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent  # pragma: no cover


def history_chart(history: list[dict], target, *, width: int = 720, height: int = 300) -> LineChart | None:
    """One point per period (the value, or the average over the units that reported), and the target."""
    if not history:
        return None
    left, top, right, bottom = 64, 20, 24, 44
    plot_width, plot_height = width - left - right, height - top - bottom
    bounds = []
    if target is not None and target.comparator in ("=", ">=", ">", "<=", "<", "range"):
        bounds = list(target.values)
    values = [row["value"] for row in history]
    high = max(values + bounds + [0])
    low = min(values + bounds + [0])
    top_value = _nice(high * 1.1) if high > 0 else 1.0
    bottom_value = -_nice(-low * 1.1) if low < 0 else 0.0
    span = top_value - bottom_value or 1.0

    def y_of(value: float) -> float:
        return round(top + plot_height * (1 - (value - bottom_value) / span), 1)

    step = plot_width / max(1, len(history) - 1) if len(history) > 1 else 0
    points = []
    for index, row in enumerate(history):
        x = round(left + (index * step if len(history) > 1 else plot_width / 2), 1)
        points.append(Point(x=x, y=y_of(row["value"]), label=row["period"], value=format_number(round(row["value"], 2)),
                            count=row["count"], attainment=row.get("attainment")))
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    ticks = []
    for i in range(5):
        value = bottom_value + span * i / 4
        ticks.append((y_of(value), format_number(round(value, 2))))
    target_lines = [(y_of(b), f"Mục tiêu {format_number(b)}") for b in bounds]
    return LineChart(width=width, height=height, left=left, top=top, plot_width=plot_width,
                     plot_height=plot_height, points=points, path=path, ticks=ticks, target_lines=target_lines)
