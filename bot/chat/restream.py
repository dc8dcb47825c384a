"""Restream's aggregated chat into :class:`ChatLine` s, for channels golive reads only there.

Each line is tagged with the platform the message came from (Restream's ``eventSourceId``), and
its id is Restream's ``eventIdentifier``. A platform golive also reads directly (YouTube,
Twitch, Facebook) is not read through Restream too: the two ids differ, so the same message
would be stored twice; :attr:`RestreamCollector.skip` names those platforms and their events
from Restream are dropped.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.chat.collector import OnLines, _ignore
from bot.chat.model import ChatLine
from bot.chat.store import ChatStore
from providers.chat.restream import RestreamChatSocket

#: https://developers.restream.io/chat/event-sources
SOURCES = {
    1: "restream",
    2: "twitch",
    13: "youtube",
    19: "facebook",
    20: "facebook",
    24: "dlive",
    25: "discord",
    26: "linkedin",
    27: "trovo",
    28: "x",
    29: "kick",
    33: "rumble",
}


def to_line(payload: dict[str, Any], broadcast_id: str) -> ChatLine | None:
    identifier = payload.get("eventIdentifier")
    if not identifier:
        return None
    body = payload.get("eventPayload") or {}
    author = body.get("author") or {}
    return ChatLine(
        platform=SOURCES.get(payload.get("eventSourceId"), "restream"),
        message_id=f"restream:{identifier}",
        author_name=str(author.get("displayName") or author.get("name") or ""),
        author_id=str(author.get("id") or ""),
        badges=frozenset(),
        text=str(body.get("text") or ""),
        sent_at=datetime.now(UTC),
        broadcast_id=broadcast_id,
    )


class RestreamCollector:
    platform = "restream"

    def __init__(self, socket: RestreamChatSocket, broadcast_id: str) -> None:
        self.socket = socket
        self.broadcast_id = broadcast_id
        self.stored = 0
        #: platforms golive reads directly for this broadcast: their copies are dropped
        self.skip: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"RestreamCollector(broadcast_id={self.broadcast_id!r})"

    async def run(self, store: ChatStore, stop: asyncio.Event, on_lines: OnLines = _ignore) -> None:
        async for payload in self.socket.events(stop):
            line = to_line(payload, self.broadcast_id)
            if line is None or line.platform in self.skip:
                continue
            new = await store.add([line])
            self.stored += len(new)
            if new:
                await on_lines(new)
