"""Facebook live comments into :class:`ChatLine` s, one page of the comments edge per fetch.

The ``after`` cursor is what the runner stores. Graph gives no polling interval, so the
collector waits :data:`POLL_SECONDS` between calls when it has caught up and asks again at
once while ``paging.next`` says more is waiting; at that pace one broadcast spends 1,200
calls an hour of the Page's budget.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.chat.collector import Page
from bot.chat.model import ChatLine
from providers.chat.facebook import FacebookCommentsClient

POLL_SECONDS = 3.0


def _time(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def to_line(item: dict[str, Any], broadcast_id: str, page_id: str | None) -> ChatLine | None:
    if not item.get("id"):
        return None
    author = item.get("from") or {}
    author_id = str(author.get("id") or "")
    return ChatLine(
        platform="facebook",
        message_id=str(item["id"]),
        author_name=str(author.get("name") or ""),
        author_id=author_id,
        badges=frozenset({"owner"}) if page_id and author_id == page_id else frozenset(),
        text=str(item.get("message") or ""),
        sent_at=_time(item.get("created_time")),
        broadcast_id=broadcast_id,
    )


class FacebookCollector:
    platform = "facebook"

    def __init__(
        self,
        client: FacebookCommentsClient,
        broadcast_id: str,
        live_video_id: str,
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.client = client
        self.broadcast_id = broadcast_id
        self.live_video_id = live_video_id
        self.poll_seconds = poll_seconds

    def __repr__(self) -> str:
        return f"FacebookCollector(broadcast_id={self.broadcast_id!r})"

    async def fetch(self, cursor: str | None) -> Page:
        page = await self.client.comments(self.live_video_id, cursor)
        page_id = self.client.page_id
        lines = [ln for item in page.items if (ln := to_line(item, self.broadcast_id, page_id))]
        return Page(
            lines=lines,
            cursor=page.after or cursor,
            wait_seconds=0.0 if page.more else self.poll_seconds,
        )
