"""The viewers-over-time chart of a broadcast report, rendered to PNG bytes.

matplotlib runs on its Agg backend (no display, no GUI toolkit, safe in a server process and
in threads); the figure is built separately from rendering so tests can look at its lines.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime

import matplotlib

matplotlib.use("Agg")

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

#: one series per platform label: (time, viewers) points in time order
Series = Mapping[str, Sequence[tuple[datetime, int]]]

WIDTH, HEIGHT, DPI = 9.0, 4.5, 100  # 900 x 450 pixels: readable inline in Slack and Discord


def viewers_figure(title: str, series: Series) -> Figure:
    """A figure with one labelled line per platform (a platform without samples has none)."""
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    axes = figure.subplots()
    for label, points in series.items():
        if not points:
            continue
        times = [t for t, _ in points]
        viewers = [v for _, v in points]
        axes.plot(times, viewers, label=label, linewidth=2, marker="o" if len(points) < 3 else "")
    axes.set_title(title)
    axes.set_ylabel("viewers")
    axes.set_xlabel("time (UTC)")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if axes.lines:
        axes.legend(loc="best")
    else:
        axes.text(0.5, 0.5, "no viewer samples", ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    return figure


def render_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def viewers_chart(title: str, series: Series) -> bytes:
    return render_png(viewers_figure(title, series))
