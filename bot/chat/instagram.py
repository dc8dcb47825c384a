"""Instagram live comments into :class:`ChatLine` s, polled while the account is live.

golive cannot start an Instagram live; a person does, in the app or Live Producer. So until the
account's ``live_media`` shows a broadcast the collector waits, then reads its comments newest
first down to the newest one it has stored (see :mod:`providers.chat.instagram`). The cursor
kept by the runner is ``<media id> <newest comment time>``, so a restart resumes on the same
live without relaying old comments twice. When the live ends its comments can no longer be
read and the collector stops.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.chat.collector import Page
from bot.chat.model import ChatLine
from providers.chat.instagram import InstagramCommentsClient
from providers.errors import InvalidRequest

#: between reads once caught up: 720 calls an hour, well inside Graph's per-user budget
POLL_SECONDS = 5.0
#: pages read in one fetch before handing on what was found (a burst continues next fetch)
MAX_PAGES = 10
#: Graph's "object does not exist or does not support this operation" (code 100, subcode 33):
#: what reading the comments of a live that has ended answers
ENDED_CODES = frozenset({"100/33"})


def _time(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def to_line(item: dict[str, Any], broadcast_id: str, owner_id: str) -> ChatLine | None:
    if not item.get("id"):
        return None
    author = item.get("from") or {}
    author_id = str(author.get("id") or "")
    return ChatLine(
        platform="instagram",
        message_id=str(item["id"]),
        author_name=str(item.get("username") or author.get("username") or ""),
        author_id=author_id,
        badges=frozenset({"owner"}) if author_id and author_id == owner_id else frozenset(),
        text=str(item.get("text") or ""),
        sent_at=_time(item.get("timestamp")),
        broadcast_id=broadcast_id,
    )


class InstagramCollector:
    platform = "instagram"

    def __init__(
        self,
        client: InstagramCommentsClient,
        broadcast_id: str,
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.client = client
        self.broadcast_id = broadcast_id
        self.poll_seconds = poll_seconds

    def __repr__(self) -> str:
        return f"InstagramCollector(broadcast_id={self.broadcast_id!r})"

    async def fetch(self, cursor: str | None) -> Page:
        media_id, _, since = (cursor or "").partition(" ")
        if not media_id:
            live = await self.client.live_media()
            if not live:  # not live yet: the person goes live in Instagram itself
                return Page([], None, self.poll_seconds)
            media_id = str(live[0]["id"])
        newest = _time(since) if since else None
        found: list[ChatLine] = []
        after: str | None = None
        more = False
        try:
            for _ in range(MAX_PAGES):
                page = await self.client.comments(media_id, after)
                lines = [
                    line
                    for item in page.items
                    if (line := to_line(item, self.broadcast_id, self.client.ig_user_id))
                ]
                fresh = [line for line in lines if newest is None or line.sent_at >= newest]
                found.extend(fresh)
                more = page.more and len(fresh) == len(lines)
                if not more:
                    break
                after = page.after
        except InvalidRequest as exc:
            if exc.code not in ENDED_CODES:
                raise  # a missing permission or a bad request: the runner stops and says so
            # a live that ended: its comments cannot be read any more
            return Page([], cursor, 0.0, ended=True)
        # every chat is relayed oldest first: pages come newest first as far as is known, and
        # the stable sort by time (whole seconds) keeps that order only among equal times
        found.reverse()
        found.sort(key=lambda line: line.sent_at)
        top = max((line.sent_at for line in found), default=newest)
        stamp = top.strftime("%Y-%m-%dT%H:%M:%S%z") if top else ""
        return Page(
            found,
            f"{media_id} {stamp}".strip(),
            0.0 if more else self.poll_seconds,
        )
