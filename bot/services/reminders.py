"""Reminders before a scheduled broadcast, posted where its announcement is.

Each reminder is the announcement itself (title, time, the tracked links) with a countdown
note, posted anew in every channel holding a copy of the announcement, so members see it at
the bottom of the channel. It is not stored as a copy: later state changes edit the
announcement, not the reminders.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

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


async def send_reminder(
    services: Services,
    workspace: str,
    stream_id: str,
    start: datetime,
    *,
    now: datetime,
    note: str | None = None,
) -> int:
    """Post the reminder in every announcement channel; returns how many got it."""
    from bot.handlers import broadcast_post

    stream = await services.livestreams.get(workspace, stream_id)
    if stream.status != "created":
        log.info("reminder for %s skipped: it is %s", stream_id, stream.status)
        return 0
    board = services.announcements
    post = reminder(
        await broadcast_post(services, stream, services.settings.timezone), start, now, note
    )
    copies = await board.copies("broadcast", stream_id)
    channels = list(dict.fromkeys((c.chat, c.channel) for c in copies))

    async def one(chat: str, channel: str) -> bool:
        publisher = board.publishers.get(chat)
        if publisher is None:
            log.info("reminder for %s: no %s connection running", stream_id, chat)
            return False
        try:
            await publisher.post(workspace, channel, post)
        except Exception:  # one channel never stops the others
            log.exception("could not post the reminder in %s channel %s", chat, channel)
            return False
        return True

    sent = sum(await asyncio.gather(*(one(*pair) for pair in channels)))
    log.info("reminder for %s (%s) posted in %d channel(s)", stream_id, countdown(start, now), sent)
    return sent
