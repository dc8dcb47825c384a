"""Members who asked for a private reminder of a scheduled broadcast or meeting.

A member presses "Remind me" under an announcement or a reminder; pressing it again takes the
wish back. At every reminder offset each member who opted in gets a direct message with the
countdown and the links, through the chat they pressed the button in. The chat adapter
registers a :class:`DirectMessenger`; a chat with none running is skipped and said so in the
log, and one member's DM failing never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from bot.messages import display
from bot.views import Announcement
from storage.models import ReminderOptIn

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)


class DirectMessenger(Protocol):
    """What a chat adapter offers for private reminders."""

    chat: str

    async def remind(self, workspace: str, user_id: str, text: str) -> None:
        """Send ``text`` to the member privately (opening the DM channel when needed)."""
        ...


def dm_text(post: Announcement, countdown: str) -> str:
    """One short private message: what, when, and every link, the primary one first."""
    lines = [f"Reminder: “{post.title}” {countdown} ({post.when})."]
    for link in post.links:
        url = link.for_chat("dm")
        if url:
            star = "★ " if link.primary else ""
            lines.append(f"{star}{display(link.platform)}: {url}")
    if post.page_url:
        lines.append(f"Watch page: {post.page_url}")
    lines.append("You asked for this reminder; press “Remind me” again to stop them.")
    return "\n".join(lines)


class OptInService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.messengers: dict[str, DirectMessenger] = {}

    def register(self, messenger: DirectMessenger) -> None:
        self.messengers[messenger.chat] = messenger

    async def toggle(self, workspace: str, kind: str, item_id: str, chat: str, user: str) -> bool:
        """Opt in, or out when already in; returns whether the member is now opted in."""
        async with self.services.db.transaction() as session:
            row = (
                await session.execute(
                    select(ReminderOptIn).where(
                        ReminderOptIn.item_kind == kind,
                        ReminderOptIn.item_id == item_id,
                        ReminderOptIn.chat == chat,
                        ReminderOptIn.user_id == user,
                    )
                )
            ).scalar_one_or_none()
            if row is not None:
                await session.delete(row)
                return False
            session.add(
                ReminderOptIn(
                    workspace=workspace, item_kind=kind, item_id=item_id, chat=chat, user_id=user
                )
            )
            return True

    async def members(self, kind: str, item_id: str) -> list[tuple[str, str]]:
        """(chat, user id) of everyone opted in, in the order they pressed the button."""
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(ReminderOptIn.chat, ReminderOptIn.user_id)
                .where(ReminderOptIn.item_kind == kind, ReminderOptIn.item_id == item_id)
                .order_by(ReminderOptIn.id)
            )
            return [(chat, user) for chat, user in rows]

    async def send(self, workspace: str, kind: str, item_id: str, text: str) -> int:
        """DM every opted-in member; returns how many got it."""

        async def one(chat: str, user: str) -> bool:
            messenger = self.messengers.get(chat)
            if messenger is None:
                log.info("DM reminder for %s: no %s connection running", item_id, chat)
                return False
            try:
                await messenger.remind(workspace, user, text)
            except Exception:  # one member never stops the others
                log.exception("could not DM the reminder of %s to a %s member", item_id, chat)
                return False
            return True

        members = await self.members(kind, item_id)
        return sum(await asyncio.gather(*(one(*m) for m in members)))


def confirmation(kind: str, on: bool) -> str:
    """The ephemeral answer to a press of "Remind me"."""
    noun = "broadcast" if kind == "broadcast" else "meeting"
    if on:
        return (
            f"You will get a private reminder of this {noun} at each reminder time; "
            "press “Remind me” again to stop."
        )
    return f"No more private reminders of this {noun} for you."
