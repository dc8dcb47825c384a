"""Twitch chat events into :class:`ChatLine` s, stored as they arrive.

EventSub pushes; there is no page or cursor, so this collector runs its own loop instead of
:class:`bot.chat.collector.CollectorRunner`. Duplicates (Twitch delivers at least once, and a
reconnect may overlap) are dropped by the store's unique constraint on the message id.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.chat.collector import OnLines, _ignore
from bot.chat.model import ChatLine
from bot.chat.store import ChatStore
from providers.chat.twitch import EventSubChat

_BADGES = {"broadcaster": "owner", "moderator": "moderator", "subscriber": "subscriber"}


def to_line(event: dict[str, Any], broadcast_id: str) -> ChatLine | None:
    if not event.get("message_id"):
        return None
    badges = {_BADGES[b["set_id"]] for b in event.get("badges") or [] if b.get("set_id") in _BADGES}
    return ChatLine(
        platform="twitch",
        message_id=str(event["message_id"]),
        author_name=str(event.get("chatter_user_name") or event.get("chatter_user_login") or ""),
        author_id=str(event.get("chatter_user_id") or ""),
        badges=frozenset(badges),
        text=str((event.get("message") or {}).get("text") or ""),
        sent_at=datetime.now(UTC),  # the event carries no time; arrival is within a second
        broadcast_id=broadcast_id,
    )


class TwitchCollector:
    platform = "twitch"

    def __init__(self, chat: EventSubChat, broadcast_id: str) -> None:
        self.chat = chat
        self.broadcast_id = broadcast_id
        self.stored = 0

    def __repr__(self) -> str:
        return f"TwitchCollector(broadcast_id={self.broadcast_id!r})"

    async def run(self, store: ChatStore, stop: asyncio.Event, on_lines: OnLines = _ignore) -> None:
        async for event in self.chat.events(stop):
            line = to_line(event, self.broadcast_id)
            if line is None:
                continue
            new = await store.add([line])
            self.stored += len(new)
            if new:
                await on_lines(new)
