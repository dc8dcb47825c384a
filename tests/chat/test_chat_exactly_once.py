"""Property: whatever mix of new messages, reconnects, lost cursors, crashes, redelivered pages
and racing collectors a platform and the network produce, the stored chat holds each platform
message exactly once, and each is reported as new (handed to the relay) exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.collector import CollectorRunner, Page
from bot.chat.model import ChatLine
from bot.chat.store import ChatStore
from storage.db import Database
from tests.conftest import database_url

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
_broadcasts = itertools.count(1)


@dataclass
class FakePlatform:
    """An append-only chat whose pages can overlap, repeat items and replay history."""

    broadcast_id: str
    messages: list[str] = field(default_factory=list)
    page_size: int = 3
    overlap: int = 0
    repeat: bool = False

    def post(self, count: int) -> None:
        start = len(self.messages)
        self.messages.extend(f"m{n}" for n in range(start, start + count))

    def line(self, message_id: str) -> ChatLine:
        n = int(message_id[1:])
        return ChatLine(
            platform="fake",
            message_id=message_id,
            author_name=f"viewer {n % 4}",
            author_id=f"v{n % 4}",
            badges=frozenset(),
            text=f"text {n}",
            sent_at=T0 + timedelta(milliseconds=n),
            broadcast_id=self.broadcast_id,
        )

    def page(self, cursor: str | None) -> Page:
        start = int(cursor) if cursor else 0  # no cursor: the whole history again
        start = max(0, start - self.overlap)
        self.overlap = 0
        items = self.messages[start : start + self.page_size]
        end = start + len(items)
        if self.repeat and items:
            items = items + items[:1]
            self.repeat = False
        return Page([self.line(i) for i in items], str(end), 0.0)


@dataclass
class FakeCollector:
    platform_: FakePlatform
    crash_next: bool = False
    platform: str = "fake"

    @property
    def broadcast_id(self) -> str:
        return self.platform_.broadcast_id

    async def fetch(self, cursor: str | None) -> Page:
        page = self.platform_.page(cursor)
        if self.crash_next:  # fetched, then the process died before storing
            self.crash_next = False
            raise ConnectionResetError
        return page


Op = tuple[str, int]
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.integers(1, 7)),
        st.tuples(st.just("fetch"), st.integers(1, 5)),
        st.tuples(st.just("overlap"), st.integers(1, 6)),
        st.tuples(st.just("repeat"), st.just(0)),
        st.tuples(st.just("reconnect"), st.just(0)),
        st.tuples(st.just("lose_cursor"), st.just(0)),
        st.tuples(st.just("crash"), st.just(0)),
        st.tuples(st.just("race"), st.integers(2, 3)),
    ),
    max_size=25,
)


async def play(store: ChatStore, ops: list[Op]) -> None:
    platform = FakePlatform(f"p{next(_broadcasts):07d}")
    reported: list[str] = []

    async def relay(lines: list[ChatLine]) -> None:
        reported.extend(line.message_id for line in lines)

    def runner() -> CollectorRunner:
        return CollectorRunner(store, FakeCollector(platform), on_lines=relay)

    current = runner()

    async def step(r: CollectorRunner) -> None:
        with contextlib.suppress(ConnectionResetError):
            await r.step()

    for op, n in ops:
        if op == "post":
            platform.post(n)
        elif op == "fetch":
            for _ in range(n):
                await step(current)
        elif op == "overlap":
            platform.overlap = n
        elif op == "repeat":
            platform.repeat = True
        elif op == "reconnect":
            current = runner()
        elif op == "lose_cursor":
            await store.set_cursor(platform.broadcast_id, "fake", None)
            current = runner()
        elif op == "crash":
            current.collector.crash_next = True  # type: ignore[attr-defined]
            await step(current)
            current = runner()
        elif op == "race":
            await asyncio.gather(*(step(runner()) for _ in range(n)))
    # drain: the collector catches up with everything posted
    for _ in range(len(platform.messages) + 2):
        await step(current)

    stored = [line.message_id for line in await store.search(platform.broadcast_id)]
    assert sorted(stored) == sorted(platform.messages)  # none lost, none twice
    assert len(set(stored)) == len(stored)
    assert sorted(reported) == sorted(platform.messages)  # the relay saw each once


def test_each_platform_message_stored_exactly_once(backend: str, tmp_path: Path) -> None:
    with asyncio.Runner() as loop:
        db = Database(loop.run(database_url(backend, tmp_path)))
        loop.run(db.upgrade())
        store = ChatStore(db)

        @settings(
            max_examples=40 if backend == "sqlite" else 25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(OPS)
        def check(ops: list[Op]) -> None:
            loop.run(play(store, ops))

        try:
            check()
        finally:
            loop.run(db.dispose())
