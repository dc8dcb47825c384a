"""Chat per platform per minute and link clicks in the broadcast report, and the chat chart."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.charts import chat_figure, render_png
from bot.chat.model import ChatLine
from bot.chat.store import ChatStore
from bot.handlers import Requester, run
from bot.services.context import Services
from tests.analytics.test_reports import live_broadcast, set_viewers

WHO = Requester("w", "U1")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
T0 = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


def chat(stream_id: str, platform: str, n: int, at: datetime) -> ChatLine:
    return ChatLine(
        platform=platform,
        message_id=f"{platform}-{n}",
        author_name=f"viewer {n}",
        author_id=f"v{n}",
        badges=frozenset(),
        text=f"hello {n}",
        sent_at=at,
        broadcast_id=stream_id,
    )


async def test_chat_per_minute_and_clicks_per_platform(services: Services) -> None:
    stream_id = await live_broadcast(services, "youtube,twitch")
    lines = [
        chat(stream_id, "youtube", 1, T0 + timedelta(seconds=5)),
        chat(stream_id, "youtube", 2, T0 + timedelta(seconds=59)),
        chat(stream_id, "twitch", 3, T0 + timedelta(seconds=30)),
        # nothing in 18:01; 18:02 is the busiest minute
        chat(stream_id, "youtube", 4, T0 + timedelta(minutes=2, seconds=1)),
        chat(stream_id, "twitch", 5, T0 + timedelta(minutes=2, seconds=2)),
        chat(stream_id, "twitch", 6, T0 + timedelta(minutes=2, seconds=40)),
        chat(stream_id, "twitch", 7, T0 + timedelta(minutes=2, seconds=59)),
    ]
    await ChatStore(services.db).add(lines)
    await ChatStore(services.db).add(lines[:2])  # delivered twice, stored once

    tracking = await services.links.ensure(await services.livestreams.get("w", stream_id))
    youtube_link = tracking.urls["youtube"].rsplit("/", 1)[-1].split("?")[0]
    for source in ("slack", "slack", "discord"):
        await services.links.follow(youtube_link, source)
    set_viewers(services, 12, 3, 0)
    await services.analytics.sample("w", stream_id, at=T0)

    report = await services.analytics.report("w", stream_id)
    minutes = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert report.chat_series == {
        "twitch": list(zip(minutes, [1, 0, 3], strict=True)),
        "youtube": list(zip(minutes, [2, 0, 1], strict=True)),
    }
    figures = {f.platform: f for f in report.platforms}
    assert (figures["youtube"].chat, figures["twitch"].chat) == (3, 4)
    assert (figures["youtube"].clicks, figures["twitch"].clicks) == (3, 0)
    text = report.text()
    assert "YouTube viewers: peak 12 · average 12 (1 sample) · chat 3" in text
    assert "chat: 7 messages · busiest minute 18:02 UTC with 4" in text
    assert "clicks: YouTube 3 · Twitch 0 (3 in all)" in text
    assert "duration —" in text  # one sampling round has no length

    files = dict(report.files())
    assert set(files) == {f"golive-{stream_id}-viewers.png", f"golive-{stream_id}-chat.png"}
    image = Image.open(io.BytesIO(files[f"golive-{stream_id}-chat.png"]))
    image.load()
    assert image.format == "PNG" and image.size == (900, 300)

    reply = await run(services, WHO, "golive", f"report {stream_id}")
    assert [name for name, _ in reply.files] == [
        f"golive-{stream_id}-viewers.png",
        f"golive-{stream_id}-chat.png",
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # storage-independent
async def test_a_broadcast_without_chat_has_one_chart(services: Services) -> None:
    stream_id = await live_broadcast(services, "youtube")
    report = await services.analytics.report("w", stream_id)
    assert report.chat_series == {}
    assert "  chat: no messages stored" in report.lines()
    assert [name for name, _ in report.files()] == [f"golive-{stream_id}-viewers.png"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_chat_chart_is_a_png_with_one_line_per_platform(backend) -> None:
    def minutes(pattern: list[int]) -> list[tuple[datetime, int]]:
        return [(T0 + timedelta(minutes=m), n) for m, n in enumerate(pattern * 10)]

    series = {
        "YouTube": minutes([4, 9, 14, 7, 3, 0]),
        "Twitch": minutes([1, 2, 6, 2, 0, 1]),
        "Facebook": minutes([0, 1, 1, 3, 2, 0]),
    }
    figure = chat_figure("Chat messages per minute · Launch", series)
    axes = figure.axes[0]
    assert sorted(line.get_label() for line in axes.lines) == ["Facebook", "Twitch", "YouTube"]
    youtube = next(line for line in axes.lines if line.get_label() == "YouTube")
    assert list(youtube.get_ydata()) == [4, 9, 14, 7, 3, 0] * 10
    assert axes.get_ylabel() == "messages / minute"
    png = render_png(figure)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (900, 300)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "chat-chart.png").write_bytes(png)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_empty_chat_chart_says_so(backend) -> None:
    figure = chat_figure("Chat", {"YouTube": []})
    assert len(figure.axes[0].lines) == 0
    assert [t.get_text() for t in figure.axes[0].texts] == ["no chat messages"]
