"""Several golive processes on one PostgreSQL database: only the scheduler's leader collects
and relays chat, wherever the broadcast was started or stopped, and when the leader dies the
next leader goes on from the stored cursor without relaying a line twice.

The two "processes" are two :class:`Services` in this test, each with its own database
connections, scheduler and advisory-lock session, sharing one set of emulators (as two real
processes would share the platforms).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.handlers import Requester, run
from bot.services.context import Services
from bot.services.scheduler import LOCK_KEY
from providers.http import make_client
from storage.db import Database
from tests.chat.helpers import until
from tests.conftest import POSTGRES_URL, FastRetry, make_settings, reset_postgres


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Services, Services]]:
    await reset_postgres(POSTGRES_URL)
    settings = make_settings(tmp_path, POSTGRES_URL)
    first = await Services.start(settings, sandbox=True)
    youtube = first.sandbox.emulators["youtube"]  # type: ignore[attr-defined]
    second = Services(
        settings=settings,
        db=Database(POSTGRES_URL),
        vault=first.vault,
        http=make_client(),
        sandbox=emulators_of(first),
    )
    youtube.chat.polling_interval_ms = 50
    for services in (first, second):
        services.connections.retry_policy = FastRetry(initial_wait=0.01)
        services.scheduler.lock_retry = 0.1
    emulators, first.sandbox = first.sandbox, emulators_of(first)
    try:
        await first.scheduler.start()  # the first to start leads
        await until(lambda: first.scheduler.leader)
        await second.scheduler.start()
        yield first, second
    finally:
        for services in (second, first):
            await services.close()
        await emulators.close()  # type: ignore[attr-defined]


class SharedEmulators:
    """The emulators as one process sees them: closing a process leaves them running."""

    def __init__(self, emulators: object) -> None:
        self._emulators = emulators

    def __getattr__(self, name: str) -> object:
        return getattr(self._emulators, name)

    async def close(self) -> None:
        return None


def emulators_of(services: Services) -> SharedEmulators:
    return SharedEmulators(services.sandbox)


def relayed(services: Services) -> list[str]:
    return sorted(line.text for line in services.chat.moderation.lines.values())


async def youtube_id(services: Services, stream_id: str) -> str:
    stream = await services.livestreams.get(services.settings.workspace, stream_id)
    return next(r.remote_id for r in stream.platforms if r.platform == "youtube")


async def test_only_the_leader_runs_chat_and_the_next_leader_takes_over(
    pair: tuple[Services, Services],
) -> None:
    leader, other = pair
    me = Requester(leader.settings.workspace, "console")

    # created and started through the process that does not lead
    reply = await run(other, me, "golive", '"Shared" on youtube chat')
    assert reply.ok, reply.private
    [stream] = await other.livestreams.list(me.workspace)
    started = await run(other, me, "golive", f"start {stream.id}")
    assert started.ok, started.private
    await until(lambda: leader.chat.running(stream.id))
    assert not other.chat.running(stream.id)
    assert not other.scheduler.leader
    status = await run(other, me, "golive", f"status {stream.id}")
    assert any(
        isinstance(p, str) and p.startswith("chat relay: run by the scheduler leader process")
        for p in status.posts
    ), status.posts

    chat = leader.sandbox.emulators["youtube"].chat  # type: ignore[attr-defined]
    video = await youtube_id(leader, stream.id)
    chat.generate(video, 3, "before")
    await until(lambda: len(relayed(leader)) == 3)
    assert relayed(other) == []

    # the leader dies; the other process takes the lock and resumes from the stored cursor
    await leader.close()
    await until(lambda: other.scheduler.leader)
    await until(lambda: other.chat.running(stream.id))
    chat.overlap = 3  # the next page repeats what the dead leader already stored
    chat.generate(video, 2, "after")
    await until(lambda: len(relayed(other)) == 2)
    assert relayed(other) == ["after 0", "after 1"]
    assert await other.chat.store.count(stream.id) == 5


async def test_a_stop_in_another_process_ends_the_leaders_chat(
    pair: tuple[Services, Services],
) -> None:
    leader, other = pair
    me = Requester(leader.settings.workspace, "console")

    await run(leader, me, "golive", '"Ends elsewhere" on youtube chat')
    [stream] = await leader.livestreams.list(me.workspace)
    await run(leader, me, "golive", f"start {stream.id}")
    assert leader.chat.running(stream.id)  # the leader began it at once

    stopped = await run(other, me, "golive", f"stop {stream.id}")
    assert stopped.ok, stopped.private
    await until(lambda: not leader.chat.running(stream.id))
    status = await run(other, me, "golive", f"status {stream.id}")
    assert any(p.startswith("chat relay: stopped") for p in status.posts if isinstance(p, str))


async def test_a_leader_that_loses_its_lock_hands_chat_over(
    pair: tuple[Services, Services],
) -> None:
    leader, other = pair
    me = Requester(leader.settings.workspace, "console")
    await run(leader, me, "golive", '"Handover" on youtube chat')
    [stream] = await leader.livestreams.list(me.workspace)
    await run(leader, me, "golive", f"start {stream.id}")
    assert leader.chat.running(stream.id)

    # the lock's session ends under the leader (a database failover, a killed backend): it
    # stops leading and ends its chat; the other process takes the lock and the chat
    async with other.db.transaction() as session:
        killed = await session.scalar(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND granted AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": LOCK_KEY},
        )
    assert killed
    await until(lambda: not leader.scheduler.leader)
    await until(lambda: not leader.chat.running(stream.id))
    await until(lambda: other.scheduler.leader and other.chat.running(stream.id))
    assert not leader.chat.running(stream.id)  # never both


async def test_rules_changed_through_another_process_reach_the_leaders_chat(
    pair: tuple[Services, Services],
) -> None:
    leader, other = pair
    me = Requester(leader.settings.workspace, "console")
    await run(leader, me, "golive", '"Ruled" on youtube chat')
    [stream] = await leader.livestreams.list(me.workspace)
    await run(leader, me, "golive", f"start {stream.id}")
    changed = await run(other, me, "golive", "moderation rules banned scamcoin")
    assert changed.ok, changed.private

    chat = leader.sandbox.emulators["youtube"].chat  # type: ignore[attr-defined]
    video = await youtube_id(leader, stream.id)
    await asyncio.sleep(0.3)  # a few of the leader's checks
    chat.generate(video, 1, "buy scamcoin now")
    chat.generate(video, 1, "hello")
    await until(lambda: relayed(leader) == ["hello 0"])
    history = await run(other, me, "golive", f"moderation {stream.id}")
    assert "scamcoin" in " ".join(history.private), history.private


async def test_a_replaced_lock_session_is_not_taken_for_the_lock(
    pair: tuple[Services, Services],
) -> None:
    """The driver may reconnect a dropped session by itself; the new one holds no lock, so
    the process must stop leading rather than run jobs and chat beside the next leader."""
    leader, other = pair
    lock = leader.scheduler._lock
    assert lock is not None
    await lock.invalidate()  # the next statement runs on a fresh session
    await until(lambda: not leader.scheduler.leader)
    await until(lambda: other.scheduler.leader)
