"""Chat lines, a recording relay target and a fake Moderation provider for the relay tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.chat.model import ChatLine
from bot.chat.relay import Batch, Limits
from providers.base import BroadcastHandle, BroadcastState, Capability

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def line(
    n: int,
    platform: str = "youtube",
    text: str | None = None,
    *,
    author: str | None = None,
    badges: frozenset[str] = frozenset(),
    bc: str = "b1",
    at: datetime | None = None,
) -> ChatLine:
    return ChatLine(
        platform=platform,
        message_id=f"{platform}-{n}",
        author_name=author or f"user {n % 7}",
        author_id=author or f"u{n % 7}",
        badges=badges,
        text=text if text is not None else f"hello {n}",
        sent_at=at or (T0 + timedelta(milliseconds=n)),
        broadcast_id=bc,
    )


class MemoryStore:
    """ChatStore's contract in memory: ``add`` returns only lines not seen before."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str, str], ChatLine] = {}

    async def add(self, lines):
        fresh = []
        for one in lines:
            if one.key not in self.lines:
                self.lines[one.key] = one
                fresh.append(one)
        return fresh


@dataclass
class Post:
    at: float
    channel: str
    thread: str
    batch: Batch


@dataclass
class RecordingTarget:
    chat: str = "slack"
    limits: Limits = field(default_factory=lambda: Limits(0.1, 45, 30000))
    posts: list[Post] = field(default_factory=list)

    def size(self, line: ChatLine) -> int:
        return len(line.text) + 20

    async def post(self, workspace: str, channel: str, thread_id: str, batch: Batch) -> None:
        self.posts.append(Post(time.monotonic(), channel, thread_id, batch))


def most_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open window of ``window`` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class FakeModeration:
    """A provider's Moderation side that records calls, for the service's own rules."""

    capabilities: frozenset[Capability] = frozenset(
        {Capability.CHAT_DELETE, Capability.BAN, Capability.TIMEOUT}
    )
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    with_unban: bool = True

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    async def delete_message(self, handle: BroadcastHandle, message_id: str) -> None:
        self.calls.append(("delete_message", handle.remote_id, message_id))

    async def ban(self, handle: BroadcastHandle, author_id: str, seconds: int | None) -> None:
        self.calls.append(("ban", author_id, seconds))

    def __getattr__(self, name: str):
        if name == "unban" and self.__dict__.get("with_unban"):

            async def unban(handle: BroadcastHandle, author_id: str) -> None:
                self.calls.append(("unban", author_id, None))

            return unban
        raise AttributeError(name)


class FakeModerator:
    """Resolves each platform to its fake provider and a handle of the broadcast."""

    def __init__(self, providers: dict[str, FakeModeration]) -> None:
        self.providers = providers

    async def target(self, workspace: str, broadcast_id: str, platform: str):
        provider = self.providers.get(platform)
        if provider is None:
            return None
        return provider, BroadcastHandle(
            remote_id=f"{platform}-{broadcast_id}", state=BroadcastState.LIVE
        )
