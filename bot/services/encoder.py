"""The scheduled start of a broadcast: go live at T, waiting for the encoder where it matters.

Some platforms only go live once the encoder's stream reaches them (YouTube refuses the
transition with ``errorStreamInactive`` until ``liveStreams`` says ``streamStatus: active``);
their providers offer ``encoder_active``. At T golive starts every platform that needs no such
check, and asks the others. Those whose stream is not active yet are started as soon as it is:
golive looks every ``GOLIVE_ENCODER_POLL`` for at most ``GOLIVE_ENCODER_WAIT``, after posting
one message in the announcement channels saying so. If the stream never comes it posts one
clear failure saying what to check. The wait runs in the leader's job; a restart during it
ends it (the announcement says what to do then: ``/golive start ID``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.messages import display
from bot.services.reminders import span
from bot.settings import parse_duration
from bot.views import Announcement

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)


def _names(platforms: list[str]) -> str:
    names = [display(p) for p in platforms]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def waiting_sentence(platforms: list[str], wait: str) -> str:
    names = _names(platforms)
    verb = "has" if len(platforms) == 1 else "have"
    return (
        f"Waiting for the encoder: {names} {verb} no incoming stream yet. golive starts "
        f"{names} as soon as the encoder sends, and keeps checking for {wait}."
    )


def failure_sentence(platforms: list[str], wait: str, stream_id: str) -> str:
    names = _names(platforms)
    return (
        f"The encoder never connected: {names} received no stream in {wait}, so golive did "
        f"not start {names}. Check that the encoder is running and streams to the ingest "
        f"address with the stream key (admins: /golive status {stream_id}), then type "
        f"/golive start {stream_id}."
    )


async def _post(services: Services, workspace: str, post: Announcement, title: str) -> None:
    """One message in every channel holding the announcement (like a reminder)."""
    board = services.announcements
    copies = await board.copies("broadcast", post.id)
    for chat, channel in dict.fromkeys((c.chat, c.channel) for c in copies):
        publisher = board.publishers.get(chat)
        if publisher is None:
            continue
        try:
            await publisher.post(workspace, channel, replace(post, title=title))
        except Exception:  # one channel never stops the others
            log.exception("could not post the encoder notice in %s channel %s", chat, channel)


async def scheduled_start(
    services: Services, workspace: str, actor: str, stream_id: str
) -> tuple[list[str], list[str]]:
    """Start at T, then wait for the encoder where needed; returns (platforms started after a
    wait, platforms whose encoder never came)."""
    from bot.handlers import broadcast_post

    settings = services.settings
    wait = parse_duration(settings.encoder_wait)
    poll = parse_duration(settings.encoder_poll).total_seconds()
    wait_text = span(wait)
    encoders = await services.livestreams.encoders(workspace, actor, stream_id)
    stream = await services.livestreams.get(workspace, stream_id)
    pending = [p for p, active in encoders.items() if not active]
    first = {r.platform for r in stream.platforms} - set(pending)
    if first:
        await services.livestreams.start(workspace, actor, stream_id, only=first)
    if not pending:
        return [], []
    log.info("scheduled start of %s: waiting for the encoder on %s", stream_id, pending)
    stream = await services.livestreams.get(workspace, stream_id)
    sentence = waiting_sentence(pending, wait_text)
    post = await broadcast_post(services, stream, settings.timezone)
    await _post(
        services,
        workspace,
        replace(post, notes=(sentence, *post.notes)),
        f"Waiting for the encoder · {stream.title}",
    )
    deadline = asyncio.get_running_loop().time() + wait.total_seconds()
    started: list[str] = []
    while pending:
        now = asyncio.get_running_loop().time()
        if now >= deadline:
            break
        await asyncio.sleep(min(poll, max(0.0, deadline - now)))
        if (await services.livestreams.get(workspace, stream_id)).status == "cancelled":
            log.info("scheduled start of %s: cancelled while waiting for the encoder", stream_id)
            return started, []
        encoders = await services.livestreams.encoders(workspace, actor, stream_id)
        ready = [p for p in pending if encoders.get(p, True)]
        if ready:
            await services.livestreams.start(workspace, actor, stream_id, only=set(ready))
            started.extend(ready)
            pending = [p for p in pending if p not in ready]
    if pending:
        stream = await services.livestreams.get(workspace, stream_id)
        failure = failure_sentence(pending, wait_text, stream_id)
        post = await broadcast_post(services, stream, settings.timezone)
        await _post(
            services,
            workspace,
            replace(post, notes=(failure, *post.notes)),
            f"Not started · {stream.title}",
        )
        log.warning("scheduled start of %s: no encoder on %s in %s", stream_id, pending, wait)
    return started, pending
