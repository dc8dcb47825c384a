"""YouTube chat: the emulator's liveChatMessages.list, the client, the collector and quota."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.chat.collector import CollectorRunner
from bot.chat.store import ChatStore
from bot.chat.youtube import YouTubeCollector
from providers.errors import InvalidRequest
from providers.sandbox.chat import LIVE_CHAT_LIST, ChatAuthor
from providers.youtube import YouTube
from storage.models import LivestreamPlatform
from tests.chat.helpers import BROADCAST, LiveYouTube


def test_table_agrees_with_discovery() -> None:
    cache = pytest.importorskip("googleapiclient.discovery_cache")
    doc = json.loads(cache.get_static_doc("youtube", "v3"))
    declared = doc["resources"]["liveChatMessages"]["methods"]["list"]
    assert declared["id"] == LIVE_CHAT_LIST.id
    assert declared["path"] == LIVE_CHAT_LIST.path
    assert declared["httpMethod"] == LIVE_CHAT_LIST.http_method
    assert set(declared["scopes"]) == set(LIVE_CHAT_LIST.scopes)
    assert set(declared["parameters"]) == set(LIVE_CHAT_LIST.params)
    for name, spec in LIVE_CHAT_LIST.params.items():
        param = declared["parameters"][name]
        assert spec.required == param.get("required", False), name
        assert spec.repeated == param.get("repeated", False), name
        assert spec.minimum == (int(param["minimum"]) if "minimum" in param else None), name
        assert spec.maximum == (int(param["maximum"]) if "maximum" in param else None), name
    assert LIVE_CHAT_LIST.cost == 5


async def test_emulator_is_strict(live: LiveYouTube) -> None:
    url = live.http.base_url + "/liveChat/messages"
    async with httpx.AsyncClient() as raw:
        no_auth = await raw.get(url, params={"liveChatId": live.live_chat_id, "part": "id"})
        assert no_auth.status_code == 401
        issued = live.emulator.oauth.issue_tokens(live.emulator.client_id, YouTube.scopes)
        auth = {"Authorization": f"Bearer {issued['access_token']}"}

        async def get(**params: Any) -> httpx.Response:
            return await raw.get(url, params=params, headers=auth)

        missing = await get(liveChatId=live.live_chat_id)
        assert missing.status_code == 400
        assert missing.json()["error"]["errors"][0]["reason"] == "required"
        small = await get(liveChatId=live.live_chat_id, part="id", maxResults="10")
        assert small.status_code == 400
        unknown = await get(liveChatId="nope", part="id")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["errors"][0]["reason"] == "liveChatNotFound"
        live.emulator.chat.polling_interval_ms = 60_000  # "too soon" whatever the machine load
        ok = await get(liveChatId=live.live_chat_id, part="id,snippet")
        assert ok.status_code == 200
        assert ok.json()["kind"] == "youtube#liveChatMessageListResponse"
        assert ok.json()["pollingIntervalMillis"] == 60_000
        too_soon = await get(liveChatId=live.live_chat_id, part="id")
        assert too_soon.status_code == 403
        assert too_soon.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
        live.emulator.chat._not_before.clear()  # the wait is over
        forged = await get(liveChatId=live.live_chat_id, part="id", pageToken="forged")
        assert forged.status_code == 400


async def test_client_pages_oldest_first_and_counts_quota(live: LiveYouTube) -> None:
    chat = live.emulator.chat
    chat.polling_interval_ms = 0
    ids = chat.generate(live.handle.remote_id, 3)
    first = await live.client.list_messages(live.live_chat_id, None)
    assert [item["id"] for item in first.items] == ids
    assert first.items[0]["snippet"]["displayMessage"] == "message 0"
    later = chat.inject(live.handle.remote_id, "later")
    second = await live.client.list_messages(live.live_chat_id, first.next_page_token)
    assert [item["id"] for item in second.items] == [later]
    assert live.client.quota_spent == 10
    with pytest.raises(InvalidRequest):
        await live.client.list_messages(live.live_chat_id, "forged")
    assert live.client.quota_spent == 11
    assert live.emulator.quota_used() >= 10


async def test_collector_stores_lines_with_badges_and_books_quota(
    live: LiveYouTube, chat_store: ChatStore
) -> None:
    chat = live.emulator.chat
    bid = live.handle.remote_id
    chat.inject(bid, "hi", ChatAuthor("Ana", owner=True))
    chat.inject(bid, "hello", ChatAuthor("Mod", moderator=True, sponsor=True))
    collector = YouTubeCollector(live.client, BROADCAST, live.live_chat_id)
    seen: list[str] = []

    async def relay(lines):
        seen.extend(line.text for line in lines)

    runner = CollectorRunner(chat_store, collector, on_lines=relay)
    await runner.step()
    stored = await chat_store.search(BROADCAST)
    assert [(s.author_name, s.badges) for s in stored] == [
        ("Ana", frozenset({"owner"})),
        ("Mod", frozenset({"moderator", "member"})),
    ]
    assert seen == ["hi", "hello"]
    async with chat_store.db.sessions() as session:
        quota = await session.scalar(
            select(LivestreamPlatform.quota_used).where(
                LivestreamPlatform.livestream_id == BROADCAST
            )
        )
    assert quota == 5


async def test_run_honours_polling_interval(live: LiveYouTube, chat_store: ChatStore) -> None:
    """Polling faster than pollingIntervalMillis is refused by the emulator: no errors here."""
    chat = live.emulator.chat
    bid = live.handle.remote_id
    waits: list[float] = []
    stop = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)
        if len(waits) == 2:
            chat.generate(bid, 4, prefix="late")
        if len(waits) >= 5:
            stop.set()

    chat.generate(bid, 2)
    runner = CollectorRunner(
        chat_store, YouTubeCollector(live.client, BROADCAST, live.live_chat_id), sleep=sleep
    )
    await asyncio.wait_for(runner.run(stop), 5)
    assert runner.errors == 0, runner.last_error
    assert waits and all(w == pytest.approx(0.02) for w in waits)
    assert len(await chat_store.search(BROADCAST)) == 6


async def test_restart_resumes_from_stored_page_token(
    live: LiveYouTube, chat_store: ChatStore
) -> None:
    chat = live.emulator.chat
    chat.polling_interval_ms = 0
    bid = live.handle.remote_id
    chat.generate(bid, 3)
    first = CollectorRunner(chat_store, YouTubeCollector(live.client, BROADCAST, live.live_chat_id))
    await first.step()
    chat.generate(bid, 2, prefix="after")
    restarted = CollectorRunner(
        chat_store, YouTubeCollector(live.client, BROADCAST, live.live_chat_id)
    )
    await restarted.step()
    assert restarted.stored == 2
    texts = [s.text for s in await chat_store.search(BROADCAST)]
    assert texts == ["message 0", "message 1", "message 2", "after 0", "after 1"]
    chat.overlap = 4  # a redelivered page: nothing new is stored
    page = await restarted.step()
    assert len(page.lines) == 4
    assert restarted.stored == 2


async def test_ended_chat_stops_the_runner(live: LiveYouTube, chat_store: ChatStore) -> None:
    live.emulator.broadcasts[live.handle.remote_id].status["lifeCycleStatus"] = "complete"
    runner = CollectorRunner(
        chat_store, YouTubeCollector(live.client, BROADCAST, live.live_chat_id)
    )
    await asyncio.wait_for(runner.run(), 2)
    assert runner.errors == 1
    assert runner.last_error and "no longer live" in runner.last_error
