"""A scheduled broadcast or meeting as an event in each chat server it is announced in.

Discord servers list upcoming events in their own calendar; golive adds one (external, the
location being the primary platform's link) to every server holding a copy of the item's
announcement, and keeps it in step: an edit moves it, a cancel removes it, going live marks
it active (and keeps its end ahead while the broadcast runs, as Discord completes an external
event by itself at its scheduled end), and the end of the broadcast completes it. The event id
is stored per server (``chat_events``), so a restart or another process edits the same event.

A chat adapter registers a :class:`Calendar`. A server that refuses (the bot lacks the
permission) keeps the announcement; the caller gets one sentence per such server, for the
admin who made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, select

from bot.views import Announcement
from storage.models import ChatEvent, Livestream

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

#: how long a broadcast's event lasts when nothing says (external events need an end)
BROADCAST_LENGTH = timedelta(hours=1)
#: while a broadcast is live its event's end is kept at least this far ahead (Discord ends an
#: external event by itself at its scheduled end), checked every EXTEND_EVERY
LIVE_AHEAD = timedelta(hours=1)
EXTEND_EVERY = timedelta(minutes=15)


@dataclass(frozen=True)
class EventDetails:
    name: str
    description: str
    start: datetime
    end: datetime
    location: str


class CalendarRefused(Exception):
    """The server would not take the event; ``sentence`` says why and what to do."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class Calendar(Protocol):
    chat: str

    async def scope_of(self, channel: str) -> str | None:
        """The server a channel belongs to (None for a direct message channel)."""
        ...

    async def place(self, scope: str, details: EventDetails, event_id: str | None) -> str:
        """Create the event (``event_id`` None) or change it; returns its id."""
        ...

    async def remove(self, scope: str, event_id: str) -> None: ...

    async def going(self, scope: str, event_id: str, end: datetime) -> None:
        """The item is on now, until at least ``end``: mark the event active and move its end."""
        ...

    async def over(self, scope: str, event_id: str) -> None:
        """The item is over: mark the event completed."""
        ...


def details_of(post: Announcement, start: datetime, end: datetime) -> EventDetails | None:
    """Name, description, time and location (the primary link, else the watch page)."""
    primary = next((link for link in post.links if link.url), None)
    location = primary.for_chat("discord") if primary else None
    location = location or post.page_url
    if not location:
        return None
    description = post.description or f"{post.title} · {post.when}"
    return EventDetails(post.title[:100], description[:1000], start, end, location[:100])


class EventService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.calendars: dict[str, Calendar] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def register(self, calendar: Calendar) -> None:
        self.calendars[calendar.chat] = calendar

    async def _stored(self, kind: str, item_id: str) -> dict[tuple[str, str], str]:
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(ChatEvent).where(ChatEvent.item_kind == kind, ChatEvent.item_id == item_id)
            )
            return {(r.chat, r.scope): r.event_id for r in rows.scalars()}

    async def _scopes(self, kind: str, item_id: str) -> list[tuple[str, str]]:
        """(chat, server) of every copy of the announcement, each server once."""
        scopes: list[tuple[str, str]] = []
        for copy in await self.services.announcements.copies(kind, item_id):
            calendar = self.calendars.get(copy.chat)
            if calendar is None:
                continue
            try:
                scope = await calendar.scope_of(copy.channel)
            except Exception:
                log.exception("could not find the server of %s channel %s", copy.chat, copy.channel)
                continue
            if scope is not None and (copy.chat, scope) not in scopes:
                scopes.append((copy.chat, scope))
        return scopes

    async def sync(
        self,
        workspace: str,
        post: Announcement,
        start: datetime | None,
        end: datetime | None = None,
    ) -> list[str]:
        """Create or move the item's event in every server it is announced in; returns one
        sentence per server that refused."""
        if start is None:
            return []
        details = details_of(post, start, end or start + BROADCAST_LENGTH)
        if details is None:
            log.info("no event for %s %s: it has no link yet", post.kind, post.id)
            return []
        stored = await self._stored(post.kind, post.id)
        refusals: list[str] = []
        placed: list[tuple[str, str, str]] = []
        for chat, scope in await self._scopes(post.kind, post.id):
            known = stored.get((chat, scope))
            try:
                event_id = await self.calendars[chat].place(scope, details, known)
            except CalendarRefused as exc:
                refusals.append(exc.sentence)
                continue
            except Exception:  # one server never stops the others
                log.exception("could not place the event of %s in %s %s", post.id, chat, scope)
                continue
            if event_id != known:
                placed.append((chat, scope, event_id))
        if placed:
            async with self.services.db.transaction() as session:
                for chat, scope, event_id in placed:
                    await session.execute(
                        delete(ChatEvent).where(
                            ChatEvent.item_kind == post.kind,
                            ChatEvent.item_id == post.id,
                            ChatEvent.chat == chat,
                            ChatEvent.scope == scope,
                        )
                    )
                    session.add(
                        ChatEvent(
                            workspace=workspace,
                            item_kind=post.kind,
                            item_id=post.id,
                            chat=chat,
                            scope=scope,
                            event_id=event_id,
                        )
                    )
        return refusals

    async def _each_event(
        self,
        kind: str,
        item_id: str,
        doing: str,
        act: Callable[[Calendar, str, str], Awaitable[None]],
    ) -> int:
        """``act(calendar, server, event id)`` on every stored event of the item; one server
        failing never stops the others. Returns how many servers it worked on."""
        done = 0
        for (chat, scope), event_id in (await self._stored(kind, item_id)).items():
            calendar = self.calendars.get(chat)
            if calendar is None:
                continue
            try:
                await act(calendar, scope, event_id)
            except Exception:
                log.exception("could not %s the event of %s in %s %s", doing, item_id, chat, scope)
                continue
            done += 1
        return done

    async def cancel(self, kind: str, item_id: str) -> int:
        """Remove the item's event from every server; returns how many went."""
        removed = await self._each_event(
            kind, item_id, "remove", lambda calendar, scope, event: calendar.remove(scope, event)
        )
        async with self.services.db.transaction() as session:
            await session.execute(
                delete(ChatEvent).where(ChatEvent.item_kind == kind, ChatEvent.item_id == item_id)
            )
        return removed

    async def follow(self, kind: str, item_id: str, status: str) -> int:
        """After a start or stop: the item's events become active (``live``) or completed
        (``ended``); returns how many servers were told. Never raises: a broadcast stays live
        or ends whatever Discord answers."""
        if status == "live":
            end = self.clock() + LIVE_AHEAD
            return await self._each_event(
                kind, item_id, "mark live", lambda c, scope, event: c.going(scope, event, end)
            )
        if status == "ended":
            return await self._each_event(
                kind, item_id, "complete", lambda c, scope, event: c.over(scope, event)
            )
        return 0

    async def extend_live(self) -> int:
        """Keep the events of every live broadcast from ending before it does (the leader runs
        this every EXTEND_EVERY); returns how many broadcasts have events."""
        async with self.services.db.sessions() as session:
            live = (
                await session.scalars(
                    select(ChatEvent.item_id)
                    .join(Livestream, Livestream.id == ChatEvent.item_id)
                    .where(ChatEvent.item_kind == "broadcast", Livestream.status == "live")
                    .distinct()
                )
            ).all()
        for item_id in live:
            await self.follow("broadcast", item_id, "live")
        return len(live)
