"""The charts of a broadcast report, rendered to PNG bytes: viewers and chat over time.

Viewers and chat are two images, not two panels of one: each keeps one line per platform on
its own scale (hundreds of viewers, a handful of messages a minute), and a broadcast without
relayed chat simply has no chat image.

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
from matplotlib.ticker import MaxNLocator

#: one series per platform label: (time, viewers) points in time order
Series = Mapping[str, Sequence[tuple[datetime, int]]]

WIDTH, HEIGHT, DPI = 9.0, 4.5, 100  # 900 x 450 pixels: readable inline in Slack and Discord
CHAT_HEIGHT = 3.0  # the chat chart is the smaller companion: 900 x 300 pixels


def _lines(title: str, series: Series, *, height: float, unit: str, empty: str) -> Figure:
    """One labelled line per platform over time (a platform without points has none)."""
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    axes = figure.subplots()
    for label, points in series.items():
        if not points:
            continue
        times = [t for t, _ in points]
        values = [v for _, v in points]
        axes.plot(times, values, label=label, linewidth=2, marker="o" if len(points) < 3 else "")
    axes.set_title(title)
    axes.set_ylabel(unit)
    axes.set_xlabel("time (UTC)")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if axes.lines:
        axes.legend(loc="best")
    else:
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    return figure


def viewers_figure(title: str, series: Series) -> Figure:
    """Viewers over time, one line per platform."""
    return _lines(title, series, height=HEIGHT, unit="viewers", empty="no viewer samples")


def chat_figure(title: str, series: Series) -> Figure:
    """Chat messages per minute, one line per platform (minutes without chat count 0)."""
    figure = _lines(
        title, series, height=CHAT_HEIGHT, unit="messages / minute", empty="no chat messages"
    )
    figure.axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def render_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def viewers_chart(title: str, series: Series) -> bytes:
    return render_png(viewers_figure(title, series))


def chat_chart(title: str, series: Series) -> bytes:
    return render_png(chat_figure(title, series))
