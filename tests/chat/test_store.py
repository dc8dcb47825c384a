"""ChatStore keeps each platform message once, on SQLite and PostgreSQL, even under races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.chat.model import ChatLine, line_id
from bot.chat.store import ChatStore
from storage.db import Database
from tests.conftest import database_url

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def line(n: int, platform: str = "youtube", text: str | None = None, bc: str = "b1") -> ChatLine:
    return ChatLine(
        platform=platform,
        message_id=f"m{n}",
        author_name=f"user {n % 3}",
        author_id=f"u{n % 3}",
        badges=frozenset({"moderator"}) if n % 5 == 0 else frozenset(),
        text=text if text is not None else f"hello {n}",
        sent_at=T0 + timedelta(seconds=n),
        broadcast_id=bc,
    )


@pytest.fixture
async def store(backend: str, tmp_path: Path) -> AsyncIterator[ChatStore]:
    db = Database(await database_url(backend, tmp_path))
    await db.upgrade()
    try:
        yield ChatStore(db)
    finally:
        await db.dispose()


def test_stable_id_depends_on_platform_and_message_only() -> None:
    a, b = line(1), line(1, text="edited", bc="b2")
    assert a.id == b.id == line_id("youtube", "m1")
    assert line(1, platform="twitch").id != a.id
    assert len(a.id) == 16
    with pytest.raises(ValueError):
        ChatLine("youtube", "x", "a", "a", frozenset({"king"}), "t", T0, "b1")
    with pytest.raises(ValueError):
        ChatLine("youtube", "x", "a", "a", frozenset(), "t", datetime(2026, 1, 1), "b1")


async def test_add_returns_only_new_lines_in_order(store: ChatStore) -> None:
    assert await store.add([line(1), line(2)]) == [line(1), line(2)]
    assert await store.add([line(3), line(2), line(3), line(1), line(4)]) == [line(3), line(4)]
    assert await store.add([]) == []
    stored = await store.search("b1")
    assert [s.message_id for s in stored] == ["m1", "m2", "m3", "m4"]
    assert stored[0] == line(1)
    assert stored[0].badges == frozenset()
    assert (await store.search("b1"))[3].badges == frozenset()
    assert [s.badges for s in await store.search("b1") if s.message_id == "m5"] == []


async def test_same_message_id_on_other_platform_or_broadcast_is_distinct(
    store: ChatStore,
) -> None:
    new = await store.add([line(1), line(1, platform="twitch"), line(1, bc="b2")])
    assert len(new) == 3


async def test_concurrent_adds_store_each_message_once(store: ChatStore) -> None:
    batch = [line(n) for n in range(60)]
    results = await asyncio.gather(*(store.add(batch[i:] + batch[:i]) for i in range(0, 60, 12)))
    reported = [ln.message_id for result in results for ln in result]
    assert sorted(reported) == sorted(ln.message_id for ln in batch)
    assert len(await store.search("b1")) == 60


async def test_search_by_text_and_platform(store: ChatStore) -> None:
    await store.add(
        [
            line(1, text="Hello World"),
            line(2, text="100% sureXthing"),
            line(3, platform="twitch", text="hello twitch"),
        ]
    )
    assert [s.message_id for s in await store.search("b1", text="hello")] == ["m1", "m3"]
    assert [s.text for s in await store.search("b1", text="%")] == ["100% sureXthing"]
    assert [s.text for s in await store.search("b1", text="e_t")] == []
    assert [s.platform for s in await store.search("b1", platform="twitch")] == ["twitch"]
    assert await store.search("b2") == []


async def test_cursor_round_trip_and_page_is_atomic(store: ChatStore) -> None:
    assert await store.cursor("b1", "youtube") is None
    await store.set_cursor("b1", "youtube", "tok1")
    new = await store.add_page("b1", "youtube", [line(1), line(2)], "tok2")
    assert len(new) == 2
    assert await store.cursor("b1", "youtube") == "tok2"
    assert await store.add_page("b1", "youtube", [line(2)], "tok3") == []
    assert await store.cursor("b1", "youtube") == "tok3"
    assert await store.cursor("b1", "twitch") is None
