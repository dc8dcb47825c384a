"""Running every platform's collector for a broadcast, and stopping them together."""

from __future__ import annotations

import asyncio

from bot.chat.collector import Page
from bot.chat.model import ChatLine
from bot.chat.service import ChatCollection, collector_for, eventsub_url
from bot.chat.store import ChatStore
from bot.chat.youtube import YouTubeCollector
from providers.base import BroadcastHandle, BroadcastState
from providers.chat.twitch import WS_URL
from tests.chat.helpers import BROADCAST, LiveYouTube
from tests.chat.test_store import line


class Flaky:
    platform = "flaky"
    broadcast_id = BROADCAST

    async def fetch(self, cursor: str | None) -> Page:
        raise RuntimeError("bug")


class Counting:
    platform = "youtube"
    broadcast_id = BROADCAST

    def __init__(self) -> None:
        self.n = 0

    async def fetch(self, cursor: str | None) -> Page:
        self.n += 1
        return Page([line(self.n, bc=BROADCAST)], str(self.n), 0.01)


def test_eventsub_url() -> None:
    assert eventsub_url("https://api.twitch.tv/helix") == WS_URL
    assert eventsub_url("http://127.0.0.1:5000/helix") == "ws://127.0.0.1:5000/ws"


async def test_collector_for_youtube_needs_the_live_chat_id(live: LiveYouTube) -> None:
    provider = type("P", (), {"http": live.http})()
    made = collector_for("youtube", provider, live.handle, BROADCAST)
    assert isinstance(made, YouTubeCollector) and made.live_chat_id == live.live_chat_id
    bare = BroadcastHandle(remote_id="x", state=BroadcastState.LIVE)
    assert collector_for("youtube", provider, bare, BROADCAST) is None
    assert collector_for("zoom", provider, live.handle, BROADCAST) is None


async def test_one_failing_collector_does_not_stop_the_others(chat_store: ChatStore) -> None:
    seen: list[ChatLine] = []

    async def relay(lines: list[ChatLine]) -> None:
        seen.extend(lines)

    collection = ChatCollection(chat_store, on_lines=relay)
    good = Counting()
    collection.start(BROADCAST, [Flaky(), good])
    collection.start(BROADCAST, [Counting()])  # already running: ignored
    for _ in range(300):
        if len(seen) >= 3:
            break
        await asyncio.sleep(0.01)
    assert collection.running(BROADCAST)
    await collection.stop(BROADCAST)
    assert not collection.running(BROADCAST)
    assert len(seen) >= 3
    assert [s.message_id for s in await chat_store.search(BROADCAST)] == [
        s.message_id for s in seen
    ]
