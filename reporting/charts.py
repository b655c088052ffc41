"""Line and bar charts drawn on the server as accessible SVG.

Each chart is a list of shapes, so the same drawing goes into a web page (svg()) and into the
committee PDF (reporting.pdf). In the page:
- the <svg> has role="img" and aria-labelledby pointing at its <title> and <desc>, which say
  what it shows; the table beside it holds the same figures (reporting.sections);
- colours come from GOV.UK's palette and have at least 3:1 contrast with the white background;
  lines also differ by dash pattern, so colour is never the only cue;
- only presentation attributes (fill, stroke, font-size, …): no style attribute, no <style>,
  no script, so the strict CSP holds;
- every bar and point carries data-series, data-label and data-value: the value as the table
  beside it shows it.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#0b0c0c"
GRID = "#b1b4b6"
# (colour, dash pattern for lines): blue, red, green, purple, bright purple, dark grey, black.
PALETTE = [("#1d70b8", ""), ("#d4351c", "8 4"), ("#00703c", "2 3"), ("#4c2c92", "12 3 3 3"),
           ("#912b88", "4 4"), ("#505a5f", "1 3"), (INK, "14 4")]
FONT = "Arial, Helvetica, sans-serif"
WIDTH = 680
CHAR_WIDTH = 7.2  # average width of a 13px Arial character, for laying out labels
MAX_LABEL = 32

Format = Callable[[float | None], str]


@dataclasses.dataclass
class Shape:
    tag: str  # rect, line, polyline, circle, text
    attrs: dict
    text: str = ""


@dataclasses.dataclass
class Chart:
    id: str
    title: str
    description: str
    width: float
    height: float
    shapes: list[Shape]

    def svg(self) -> SafeString:
        """The chart as inline SVG. Every text and attribute value is escaped here."""
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width:g} {self.height:g}" width="100%" '
            f'role="img" aria-labelledby="{self.id}-title {self.id}-desc" focusable="false" '
            f'font-family="{FONT}" id="{escape(self.id)}" class="app-chart">',
            f'<title id="{self.id}-title">{escape(self.title)}</title>',
            f'<desc id="{self.id}-desc">{escape(self.description)}</desc>',
        ]
        for shape in self.shapes:
            attrs = " ".join(f'{k}="{escape(_attr(v))}"' for k, v in shape.attrs.items() if v not in (None, ""))
            if shape.tag == "text":
                parts.append(f"<text {attrs}>{escape(shape.text)}</text>")
            elif shape.text:  # a point's tooltip
                parts.append(f"<{shape.tag} {attrs}><title>{escape(shape.text)}</title></{shape.tag}>")
            else:
                parts.append(f"<{shape.tag} {attrs}/>")
        parts.append("</svg>")
        return mark_safe("".join(parts))  # every piece was escaped above

    def points(self) -> list[tuple[str, str, str]]:
        """(series, label, value as shown) of every bar and point."""
        return [(s.attrs["data-series"], s.attrs["data-label"], s.attrs["data-value"])
                for s in self.shapes if "data-value" in s.attrs]


def _attr(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    if isinstance(value, list):  # polyline points
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in value)
    return str(value)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def nice_scale(low: float, high: float, ticks: int = 5, *, min_step: float = 0) -> list[float]:
    """Round tick values from at most `low` to at least `high`, always including 0, at least
    `min_step` apart. With nothing but zeros, 0 to 5 ticks of `min_step` (or of 1)."""
    low, high = min(low, 0), max(high, 0)
    if high == low:
        high = low + ticks * (min_step or 1)
    raw = max((high - low) / ticks, min_step)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    out, value = [], first
    while value < high + step / 2:
        out.append(round(value, 10))
        value += step
    if out[-1] < high:
        out.append(round(value, 10))
    return out


def axis_ticks(values: Sequence[float], fmt: Format) -> list[float]:
    """The ticks of an axis for these values, each with a different label as `fmt` writes it:
    whole-number formats never get ticks of 0.2 written 0, 0, 0, 1, 1, 1."""
    low, high = min(values, default=0), max(values, default=0)
    min_step = 0.0
    while True:
        ticks = nice_scale(low, high, min_step=min_step)
        labels = [fmt(t) for t in ticks]
        if len(set(labels)) == len(labels) or min_step >= 1e12:
            return ticks
        min_step = min_step * 10 if min_step else 1


def _text(x, y, text, *, anchor="start", size=13, weight="", fill=INK) -> Shape:
    return Shape("text", {"x": x, "y": y, "text-anchor": anchor, "font-size": size, "font-weight": weight,
                          "fill": fill}, text)


def _legend(series_names: Sequence[str], y: float, *, lines: bool) -> tuple[list[Shape], float]:
    """A legend row (wrapping as needed) at y; returns the shapes and the height used."""
    shapes, x, row = [], 0.0, 0
    for i, name in enumerate(series_names):
        colour, dash = PALETTE[i % len(PALETTE)]
        width = 30 + len(name) * CHAR_WIDTH + 20
        if x and x + width > WIDTH:
            x, row = 0.0, row + 1
        top = y + row * 22
        if lines:
            shapes.append(Shape("line", {"x1": x, "y1": top + 8, "x2": x + 24, "y2": top + 8, "stroke": colour,
                                         "stroke-width": 3, "stroke-dasharray": dash}))
        else:
            shapes.append(Shape("rect", {"x": x, "y": top, "width": 24, "height": 16, "fill": colour}))
        shapes.append(_text(x + 30, top + 13, name))
        x += width
    return shapes, (row + 1) * 22 + 8


def bar_chart(*, id: str, title: str, description: str, categories: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]], fmt: Format) -> Chart:
    """Horizontal bars: one group per category, one bar per series, each labelled with its value."""
    label_width = min(max((len(_short(c)) for c in categories), default=4) * CHAR_WIDTH + 12, 250)
    value_room = 80
    plot_left, plot_right = label_width, WIDTH - value_room
    shapes, top = [], 0.0
    if len(series) > 1:
        legend, used = _legend([name for name, _ in series], 0, lines=False)
        shapes += legend
        top = used
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = axis_ticks(values, fmt)
    low, high = ticks[0], ticks[-1]

    def x_of(v: float) -> float:
        return plot_left + (v - low) / (high - low) * (plot_right - plot_left)

    bar, gap, group_gap = 18, 3, 14
    group = len(series) * (bar + gap) - gap
    plot_top = top + 20
    plot_bottom = plot_top + len(categories) * (group + group_gap)
    for tick in ticks:
        x = x_of(tick)
        shapes.append(Shape("line", {"x1": x, "y1": plot_top - 4, "x2": x, "y2": plot_bottom, "stroke": GRID,
                                     "stroke-width": 1}))
        shapes.append(_text(x, plot_top - 8, fmt(tick), anchor="middle", size=11))
    zero = x_of(0)
    for ci, category in enumerate(categories):
        y0 = plot_top + ci * (group + group_gap) + group_gap / 2
        shapes.append(_text(plot_left - 8, y0 + group / 2 + 5, _short(category), anchor="end"))
        for si, (name, vs) in enumerate(series):
            v = vs[ci]
            y = y0 + si * (bar + gap)
            colour = PALETTE[si % len(PALETTE)][0]
            data = {"data-series": name, "data-label": category, "data-value": fmt(v)}
            if v is None:
                shapes.append(Shape("text", {"x": zero + 4, "y": y + 13, "font-size": 12, "fill": INK, **data},
                                    fmt(v)))
                continue
            x, w = (zero, x_of(v) - zero) if v >= 0 else (x_of(v), zero - x_of(v))
            shapes.append(Shape("rect", {"x": x, "y": y, "width": max(w, 1), "height": bar, "fill": colour, **data},
                                f"{name}, {category}: {fmt(v)}"))
            shapes.append(_text(x + w + 4, y + 13, fmt(v), size=12))
    shapes.append(Shape("line", {"x1": zero, "y1": plot_top - 4, "x2": zero, "y2": plot_bottom, "stroke": INK,
                                 "stroke-width": 1}))
    return Chart(id, title, description, WIDTH, plot_bottom + 4, shapes)


def line_chart(*, id: str, title: str, description: str, labels: Sequence[str],
               series: Sequence[tuple[str, Sequence[float | None]]], fmt: Format, axis_fmt: Format | None = None,
               short_labels: Sequence[str] | None = None) -> Chart:
    """One line per series over the labels (time), a point at each known value; a missing value
    breaks the line. `short_labels` are written under the axis, `labels` in the data."""
    axis_fmt = axis_fmt or fmt
    short_labels = short_labels or labels
    legend, used = _legend([name for name, _ in series], 0, lines=True)
    shapes = list(legend)
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = axis_ticks(values, axis_fmt)
    low, high = ticks[0], ticks[-1]
    plot_left = max(len(axis_fmt(t)) for t in ticks) * CHAR_WIDTH + 12
    plot_right, plot_top = WIDTH - 30, used + 10
    plot_bottom = plot_top + 240
    n = len(labels)

    def x_of(i: int) -> float:
        return plot_left + (plot_right - plot_left) * (i / (n - 1) if n > 1 else 0.5)

    def y_of(v: float) -> float:
        return plot_bottom - (v - low) / (high - low) * (plot_bottom - plot_top)

    for tick in ticks:
        y = y_of(tick)
        shapes.append(Shape("line", {"x1": plot_left, "y1": y, "x2": plot_right, "y2": y, "stroke": GRID,
                                     "stroke-width": 1}))
        shapes.append(_text(plot_left - 6, y + 4, axis_fmt(tick), anchor="end", size=11))
    every = max(1, math.ceil(n / 10))
    for i, label in enumerate(short_labels):
        if i % every == 0:
            shapes.append(_text(x_of(i), plot_bottom + 18, label, anchor="middle", size=11))
    for si, (name, vs) in enumerate(series):
        colour, dash = PALETTE[si % len(PALETTE)]
        run: list[tuple[float, float]] = []
        for i, v in enumerate([*vs, None]):
            if v is not None:
                run.append((x_of(i), y_of(v)))
            elif run:
                if len(run) > 1:
                    shapes.append(Shape("polyline", {"points": run, "fill": "none", "stroke": colour,
                                                     "stroke-width": 2.5, "stroke-dasharray": dash}))
                run = []
        for i, v in enumerate(vs):
            if v is not None:
                shapes.append(Shape("circle", {"cx": x_of(i), "cy": y_of(v), "r": 3.5, "fill": colour,
                                               "data-series": name, "data-label": labels[i], "data-value": fmt(v)},
                                    f"{name}, {labels[i]}: {fmt(v)}"))
    shapes.append(Shape("line", {"x1": plot_left, "y1": plot_bottom, "x2": plot_right, "y2": plot_bottom,
                                 "stroke": INK, "stroke-width": 1}))
    return Chart(id, title, description, WIDTH, plot_bottom + 28, shapes)
