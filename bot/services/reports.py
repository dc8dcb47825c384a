"""The post-stream report: posted once into the announcement's threads when a broadcast ends.

Whatever ends a broadcast (``/golive stop``, the stop button, ``POST /api/livestreams/{id}/stop``)
calls :func:`after_end`; the report (viewers, chat and clicks per platform, duration,
comparison with earlier broadcasts) and its charts go into the thread under every copy of the
announcement, in Slack and Discord alike.

"Once" holds across stops and processes: before posting, the report is claimed by an audit
entry written in a transaction that first locks the broadcast's row (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite serialises writers itself and a lock here covers one process), so a
second stop, or a second golive process stopping at the same moment, finds the claim and posts
nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.views import Announcement
from storage.models import AuditEntry, Livestream

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

#: the audit action that marks a broadcast's report as posted
REPORTED = "broadcast report posted"


async def _claim(services: Services, stream_id: str) -> bool:
    """True for the one caller that may post this broadcast's report."""
    async with services.announcements.claims, services.db.transaction() as session:
        await session.execute(
            select(Livestream.id).where(Livestream.id == stream_id).with_for_update()
        )
        done = await session.scalar(
            select(AuditEntry.id)
            .where(AuditEntry.action == REPORTED, AuditEntry.target == stream_id)
            .limit(1)
        )
        if done is not None:
            return False
        session.add(AuditEntry(actor="golive", action=REPORTED, target=stream_id))
        return True


async def reported(services: Services, stream_id: str) -> bool:
    async with services.db.sessions() as session:
        found = await session.scalar(
            select(AuditEntry.id)
            .where(AuditEntry.action == REPORTED, AuditEntry.target == stream_id)
            .limit(1)
        )
    return found is not None


async def after_end(services: Services, stream: Livestream, announcement: Announcement) -> int:
    """Post the report into the thread under every copy of the announcement, once.

    Returns how many threads got it (0 when the broadcast has not ended, has no announcement
    in a chat, or was reported before). A thread that cannot be posted to is logged and
    skipped; the report is not retried there."""
    if stream.status != "ended":
        return 0
    if not await services.announcements.copies("broadcast", stream.id):
        return 0  # announced nowhere (console, API only): nothing to post into
    if not await _claim(services, stream.id):
        return 0
    report = await services.analytics.report(stream.workspace, stream.id)
    files = await asyncio.to_thread(report.files)  # rendering keeps the loop free meanwhile
    posted = await services.announcements.post_in_threads(
        stream.workspace, announcement, report.text(), files, name=f"{stream.title} · report"
    )
    log.info("report of broadcast %s posted in %d thread(s)", stream.id, len(posted))
    return len(posted)
