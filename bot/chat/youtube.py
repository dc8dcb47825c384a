"""YouTube live chat into :class:`ChatLine` s, one ``liveChatMessages.list`` page per fetch.

The page token YouTube returns is the cursor the runner stores, so a restart resumes at the
page after the last stored one. Each call costs 5 units (see :mod:`providers.chat.youtube`);
the runner adds them to the broadcast's YouTube ``quota_used``, which ``/golive status`` shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.chat.collector import Page
from bot.chat.model import ChatLine
from providers.chat.youtube import YouTubeChatClient

#: message types that carry something a viewer wrote; the rest are chat events
_TEXT_TYPES = frozenset({"textMessageEvent", "superChatEvent", "superStickerEvent"})


def _time(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def to_line(item: dict[str, Any], broadcast_id: str) -> ChatLine | None:
    snippet = item.get("snippet") or {}
    if snippet.get("type") not in _TEXT_TYPES or not item.get("id"):
        return None
    author = item.get("authorDetails") or {}
    badges = set()
    if author.get("isChatOwner"):
        badges.add("owner")
    if author.get("isChatModerator"):
        badges.add("moderator")
    if author.get("isChatSponsor"):
        badges.add("member")
    text = snippet.get("displayMessage")
    if text is None:
        text = (snippet.get("textMessageDetails") or {}).get("messageText", "")
    return ChatLine(
        platform="youtube",
        message_id=str(item["id"]),
        author_name=str(author.get("displayName") or ""),
        author_id=str(author.get("channelId") or snippet.get("authorChannelId") or ""),
        badges=frozenset(badges),
        text=str(text),
        sent_at=_time(snippet.get("publishedAt")),
        broadcast_id=broadcast_id,
    )


class YouTubeCollector:
    platform = "youtube"

    def __init__(self, client: YouTubeChatClient, broadcast_id: str, live_chat_id: str) -> None:
        self.client = client
        self.broadcast_id = broadcast_id
        self.live_chat_id = live_chat_id
        #: units spent by calls that failed, booked with the next page that is stored
        self._unbooked = 0

    def __repr__(self) -> str:
        return f"YouTubeCollector(broadcast_id={self.broadcast_id!r})"

    async def fetch(self, cursor: str | None) -> Page:
        before = self.client.quota_spent
        try:
            page = await self.client.list_messages(self.live_chat_id, cursor)
        finally:
            self._unbooked += self.client.quota_spent - before
        spent, self._unbooked = self._unbooked, 0
        lines = [line for item in page.items if (line := to_line(item, self.broadcast_id))]
        return Page(
            lines=lines,
            cursor=page.next_page_token or cursor,
            wait_seconds=page.wait_seconds,
            quota=spent,
            ended=page.offline,
        )
