"""Reminders before a scheduled broadcast or meeting, posted where its announcement is.

Each reminder is the announcement itself (title, time, the tracked links) with a countdown
note, posted anew in every channel holding a copy of the announcement, so members see it at
the bottom of the channel. It is not stored as a copy: later state changes edit the
announcement, not the reminders. Members who pressed "Remind me" also get it privately.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.services.optins import dm_text
from bot.views import Announcement

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)


def span(delta: timedelta) -> str:
    """``1 day``, ``2 h 30 min``, ``10 min``, ``45 s``: rounded to what people read."""
    seconds = max(0, round(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' * (days != 1)}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def countdown(start: datetime, now: datetime) -> str:
    left = start - now
    return "starting now" if left < timedelta(seconds=0.5) else f"starts in {span(left)}"


def late_note(due: datetime, late: timedelta) -> str:
    return f"golive was not running at {due:%H:%M} UTC, when this was due: it ran {span(late)} late"


def reminder(
    announcement: Announcement, start: datetime, now: datetime, note: str | None = None
) -> Announcement:
    notes = [f"Reminder: {countdown(start, now)}"]
    if note:
        notes.append(note)
    return replace(
        announcement,
        title=f"Reminder · {announcement.title}",
        notes=(*notes, *announcement.notes),
    )


async def current_post(
    services: Services, kind: str, workspace: str, item_id: str
) -> Announcement | None:
    """The item's announcement as it is now, or None when it is no longer ahead."""
    from bot.handlers import broadcast_post, meeting_post

    tz = services.settings.timezone
    if kind == "meeting":
        meeting = await services.meetings.get(workspace, item_id)
        if meeting.status == "cancelled":
            log.info("reminder for meeting %s skipped: it is cancelled", item_id)
            return None
        return await meeting_post(services, meeting, tz)
    stream = await services.livestreams.get(workspace, item_id)
    if stream.status != "created":
        log.info("reminder for %s skipped: it is %s", item_id, stream.status)
        return None
    return await broadcast_post(services, stream, tz)


async def send_reminder(
    services: Services,
    kind: str,
    workspace: str,
    item_id: str,
    start: datetime,
    *,
    now: datetime,
    note: str | None = None,
) -> int:
    """Post the reminder in every announcement channel and DM every member who opted in;
    returns how many channels got it."""
    current = await current_post(services, kind, workspace, item_id)
    if current is None:
        return 0
    board = services.announcements
    post = replace(reminder(current, start, now, note), remindable=True)
    copies = await board.copies(kind, item_id)
    channels = list(dict.fromkeys((c.chat, c.channel) for c in copies))

    async def one(chat: str, channel: str) -> bool:
        publisher = board.publishers.get(chat)
        if publisher is None:
            log.info("reminder for %s: no %s connection running", item_id, chat)
            return False
        try:
            await publisher.post(workspace, channel, post)
        except Exception:  # one channel never stops the others
            log.exception("could not post the reminder in %s channel %s", chat, channel)
            return False
        return True

    sent = sum(await asyncio.gather(*(one(*pair) for pair in channels)))
    direct = await services.optins.send(
        workspace, kind, item_id, dm_text(current, countdown(start, now))
    )
    log.info(
        "reminder for %s (%s) posted in %d channel(s), sent to %d member(s)",
        item_id,
        countdown(start, now),
        sent,
        direct,
    )
    return sent
