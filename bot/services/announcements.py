"""Announcements in every configured channel, and every copy kept up to date.

A broadcast or meeting created from Slack, Discord, the console or the API is announced in
the channel it came from (when that is a chat) and in each of the workspace's announce
targets. Each copy is stored, so a later state change edits all of them, and the live chat
relay finds the thread under each one. Chat adapters register a :class:`Publisher`; a chat
with no publisher running (e.g. Discord without a bot token) is skipped and said so in the
log. One channel failing never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from bot.views import Announcement
from storage.models import AnnounceTarget, AuditEntry, PostedMessage

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

CHATS = ("slack", "discord")


class Publisher(Protocol):
    """What a chat adapter offers the announcement service."""

    chat: str

    async def post(self, workspace: str, channel: str, announcement: Announcement) -> str:
        """Post and return the platform's message id (Slack ``ts``, Discord snowflake)."""
        ...

    async def update(
        self, workspace: str, channel: str, message_id: str, announcement: Announcement
    ) -> None: ...

    async def open_thread(self, workspace: str, channel: str, message_id: str, name: str) -> str:
        """Start a thread under the message and return its id (Slack: the message ``ts``)."""
        ...


class FilePublisher(Protocol):
    """A publisher that can also post text with files (the report's charts) into a thread."""

    async def post_files(
        self,
        workspace: str,
        channel: str,
        thread_id: str,
        text: str,
        files: Sequence[tuple[str, bytes]],
    ) -> None: ...


@dataclass(frozen=True)
class Copy:
    chat: str
    channel: str
    message_id: str
    thread_id: str | None = None


class AnnouncementService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.publishers: dict[str, Publisher] = {}
        #: serialises one-time posts (the post-stream report) within this process
        self.claims = asyncio.Lock()

    def register(self, publisher: Publisher) -> None:
        self.publishers[publisher.chat] = publisher

    def publishes(self, chat: str | None) -> bool:
        return chat is not None and chat in self.publishers

    # -- targets ---------------------------------------------------------------------------

    async def targets(self, workspace: str) -> list[tuple[str, str]]:
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(AnnounceTarget.chat, AnnounceTarget.channel)
                .where(AnnounceTarget.workspace == workspace)
                .order_by(AnnounceTarget.id)
            )
            return [(chat, channel) for chat, channel in rows]

    async def add_target(self, workspace: str, chat: str, channel: str, *, user: str) -> bool:
        """Add a channel; False when it was already a target."""
        if chat not in CHATS:
            raise ValueError(f"announcements go to {' or '.join(CHATS)}, not {chat!r}")
        if (chat, channel) in await self.targets(workspace):
            return False
        async with self.services.db.transaction() as session:
            session.add(
                AnnounceTarget(workspace=workspace, chat=chat, channel=channel, added_by=user)
            )
            session.add(
                AuditEntry(
                    actor=user,
                    action="announce target add",
                    target=f"{chat}:{channel}",
                    operation=workspace,
                )
            )
        return True

    async def remove_target(self, workspace: str, chat: str, channel: str, *, user: str) -> bool:
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(AnnounceTarget).where(
                        AnnounceTarget.workspace == workspace,
                        AnnounceTarget.chat == chat,
                        AnnounceTarget.channel == channel,
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return False
            await session.delete(row)
            session.add(
                AuditEntry(
                    actor=user,
                    action="announce target remove",
                    target=f"{chat}:{channel}",
                    operation=workspace,
                )
            )
        return True

    # -- copies ----------------------------------------------------------------------------

    async def copies(self, kind: str, item_id: str) -> list[Copy]:
        async with self.services.db.sessions() as session:
            rows = (
                await session.execute(
                    select(PostedMessage)
                    .where(PostedMessage.item_kind == kind, PostedMessage.item_id == item_id)
                    .order_by(PostedMessage.id)
                )
            ).scalars()
            return [Copy(r.chat, r.channel, r.message_id, r.thread_id) for r in rows]

    async def publish(
        self,
        workspace: str,
        announcement: Announcement,
        also: Iterable[tuple[str, str]] = (),
    ) -> list[Copy]:
        """Post in ``also`` (usually the channel the command came from) and every target.

        Channels that already hold a copy are not posted again, so publishing twice (a retried
        command, a create that is later started) never duplicates an announcement."""
        existing = {
            (c.chat, c.channel) for c in await self.copies(announcement.kind, announcement.id)
        }
        wanted = list(dict.fromkeys([*also, *await self.targets(workspace)]))
        todo = [(chat, ch) for chat, ch in wanted if (chat, ch) not in existing]

        async def one(chat: str, channel: str) -> Copy | None:
            publisher = self.publishers.get(chat)
            if publisher is None:
                log.info("announcement for %s: no %s connection running", channel, chat)
                return None
            try:
                message_id = await publisher.post(workspace, channel, announcement)
            except Exception:  # one channel never stops the others
                log.exception("could not announce in %s channel %s", chat, channel)
                return None
            return Copy(chat, channel, message_id)

        posted = [c for c in await asyncio.gather(*(one(*t) for t in todo)) if c is not None]
        if posted:
            async with self.services.db.transaction() as session:
                for copy in posted:
                    session.add(
                        PostedMessage(
                            workspace=workspace,
                            item_kind=announcement.kind,
                            item_id=announcement.id,
                            chat=copy.chat,
                            channel=copy.channel,
                            message_id=copy.message_id,
                        )
                    )
        return posted

    async def refresh(self, workspace: str, announcement: Announcement) -> int:
        """Edit every stored copy to show the announcement as it is now; returns how many."""
        copies = await self.copies(announcement.kind, announcement.id)

        async def one(copy: Copy) -> bool:
            publisher = self.publishers.get(copy.chat)
            if publisher is None:
                return False
            try:
                await publisher.update(workspace, copy.channel, copy.message_id, announcement)
            except Exception:
                log.exception("could not update the announcement in %s %s", copy.chat, copy.channel)
                return False
            return True

        return sum(await asyncio.gather(*(one(c) for c in copies)))

    async def open_threads(
        self, workspace: str, announcement: Announcement, name: str
    ) -> list[Copy]:
        """A thread under every copy that has none yet (for the live chat relay)."""
        return await self.open_threads_of(workspace, announcement.kind, announcement.id, name)

    async def open_threads_of(
        self, workspace: str, kind: str, item_id: str, name: str
    ) -> list[Copy]:
        """:meth:`open_threads` by the item's kind and id (the chat service has no post)."""
        copies = await self.copies(kind, item_id)

        async def one(copy: Copy) -> Copy:
            publisher = self.publishers.get(copy.chat)
            if copy.thread_id or publisher is None:
                return copy
            try:
                thread = await publisher.open_thread(workspace, copy.channel, copy.message_id, name)
            except Exception:
                log.exception("could not open a thread in %s %s", copy.chat, copy.channel)
                return copy
            return Copy(copy.chat, copy.channel, copy.message_id, thread)

        result = await asyncio.gather(*(one(c) for c in copies))
        opened = [c for c, old in zip(result, copies, strict=True) if c.thread_id != old.thread_id]
        if opened:
            async with self.services.db.transaction() as session:
                for copy in opened:
                    row = (
                        await session.execute(
                            select(PostedMessage).where(
                                PostedMessage.chat == copy.chat,
                                PostedMessage.channel == copy.channel,
                                PostedMessage.message_id == copy.message_id,
                            )
                        )
                    ).scalar_one()
                    row.thread_id = copy.thread_id
        return list(result)

    async def post_in_threads(
        self,
        workspace: str,
        announcement: Announcement,
        text: str,
        files: Sequence[tuple[str, bytes]],
        *,
        name: str,
    ) -> list[Copy]:
        """Post ``text`` with ``files`` into the thread under every copy (opened if missing).

        Returns the copies whose thread got the post; a chat whose publisher cannot post
        files, or that fails, is skipped (and logged) without stopping the others."""
        copies = await self.open_threads(workspace, announcement, name)

        async def one(copy: Copy) -> Copy | None:
            publisher = self.publishers.get(copy.chat)
            send = getattr(publisher, "post_files", None)
            if copy.thread_id is None or send is None:
                return None
            try:
                await send(workspace, copy.channel, copy.thread_id, text, files)
            except Exception:  # one chat failing never stops the others
                log.exception("could not post into the thread in %s %s", copy.chat, copy.channel)
                return None
            return copy

        return [c for c in await asyncio.gather(*(one(c) for c in copies)) if c is not None]


def threads(copies: Sequence[Copy]) -> list[tuple[str, str, str]]:
    """(chat, channel, thread id) of every copy that has a thread."""
    return [(c.chat, c.channel, c.thread_id) for c in copies if c.thread_id]
