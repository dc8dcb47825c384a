"""Chat follows its broadcast whoever starts it (a command, the scheduler), stops with it, and
resumes after a restart from the stored cursor without relaying anything twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.handlers import Requester, run
from bot.services.chat import ChatService
from bot.services.context import Services
from tests.chat.helpers import until
from tests.conftest import FastRetry, database_url, make_settings


@pytest.fixture
async def services(backend: str, tmp_path: Path) -> AsyncIterator[Services]:
    url = await database_url(backend, tmp_path)
    running = await Services.start(make_settings(tmp_path, url), sandbox=True)
    running.connections.retry_policy = FastRetry(initial_wait=0.01)
    running.sandbox.emulators["youtube"].chat.polling_interval_ms = 50  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        await running.close()


def who(services: Services) -> Requester:
    return Requester(services.settings.workspace, "console")


async def youtube_id(services: Services, stream_id: str) -> str:
    stream = await services.livestreams.get(services.settings.workspace, stream_id)
    return next(r.remote_id for r in stream.platforms if r.platform == "youtube")


def quota(reply) -> int:
    """The units in the announcement's "YouTube quota spent: N units" note."""
    [notes] = [p.notes for p in reply.posts if hasattr(p, "notes")]
    [spent] = [n for n in notes if n.startswith("YouTube quota spent: ")]
    return int(spent.split(": ")[1].split()[0])


async def stored(services: Services, stream_id: str) -> int:
    return await services.chat.store.count(stream_id)


async def test_chat_runs_from_start_to_stop_only_with_chat_on(services: Services) -> None:
    me = who(services)
    await run(services, me, "golive", '"Quiet" on youtube')
    [quiet] = await services.livestreams.list(me.workspace)
    await run(services, me, "golive", f"start {quiet.id}")
    assert not services.chat.running(quiet.id)

    reply = await run(services, me, "golive", '"Talk" on youtube,facebook chat')
    assert reply.ok, reply.private
    talk = next(s for s in await services.livestreams.list(me.workspace) if s.title == "Talk")
    await run(services, me, "golive", f"start {talk.id}")
    assert services.chat.running(talk.id)
    assert sorted(services.chat.platforms[talk.id]) == ["facebook", "youtube"]
    chat = services.sandbox.emulators["youtube"].chat  # type: ignore[attr-defined]
    chat.generate(await youtube_id(services, talk.id), 3)
    await until(lambda: len(services.chat.moderation.lines) == 3)

    status = await run(services, me, "golive", f"status {talk.id}")
    assert "chat relay: 2 platforms, 3 lines, 0 held" in status.posts
    # every liveChatMessages.list call is booked on the broadcast and shown with it
    quiet_status = await run(services, me, "golive", f"status {quiet.id}")
    assert quota(status) >= quota(quiet_status) + 5  # at least one list call on top

    await run(services, me, "golive", f"stop {talk.id}")
    assert not services.chat.running(talk.id)
    status = await run(services, me, "golive", f"status {talk.id}")
    assert "chat relay: stopped, 3 lines, 0 held" in status.posts


async def test_a_restart_resumes_from_the_stored_cursor(services: Services) -> None:
    me = who(services)
    await run(services, me, "golive", '"Long" on youtube chat')
    [stream] = await services.livestreams.list(me.workspace)
    await run(services, me, "golive", f"start {stream.id}")
    chat = services.sandbox.emulators["youtube"].chat  # type: ignore[attr-defined]
    video = await youtube_id(services, stream.id)
    chat.generate(video, 4, "before")
    await until(lambda: len(services.chat.moderation.lines) == 4)

    # the process ends; a new one starts with nothing in memory
    await services.chat.close()
    services.chat = ChatService(services)
    assert await services.chat.reconcile() == [stream.id]
    assert services.chat.running(stream.id)
    chat.overlap = 3  # the next page repeats three messages, as after a server failover
    chat.generate(video, 2, "after")
    await until(lambda: len(services.chat.moderation.lines) == 2)
    relayed = sorted(line.text for line in services.chat.moderation.lines.values())
    assert relayed == ["after 0", "after 1"]  # nothing relayed twice
    assert await stored(services, stream.id) == 6


async def test_the_scheduled_start_runs_chat(services: Services) -> None:
    me = who(services)
    start = datetime.now(UTC) + timedelta(hours=2)
    await run(services, me, "golive", f'"Later" on youtube chat at {start:%Y-%m-%d %H:%M} UTC')
    [stream] = await services.livestreams.list(me.workspace)
    planned = stream.scheduled_start
    assert planned is not None
    await services.scheduler.run("start", me.workspace, stream.id, planned)
    assert services.chat.running(stream.id)
    await services.livestreams.cancel(me.workspace, "console", stream.id)
    assert not services.chat.running(stream.id)


async def test_rules_are_shown_changed_by_admins_and_followed_by_running_chat(
    services: Services,
) -> None:
    me = who(services)
    shown = await run(services, me, "golive", "moderation rules")
    assert "banned: none" in shown.private[0] and "links: any" in shown.private[0]
    member = Requester(me.workspace, "max", is_admin=False)
    refused = await run(services, member, "golive", "moderation rules banned scamcoin")
    assert not refused.ok and refused.private == ["Only golive admins can change the chat rules."]
    bad = await run(services, me, "golive", "moderation rules flood lots")
    assert bad.private == ["flood takes a number of lines from 1 to 1000, or off."]
    unknown = await run(services, me, "golive", "moderation rules colour red")
    assert "There is no rule setting 'colour'" in unknown.private[0]

    await run(services, me, "golive", '"Ruled" on youtube chat')
    [stream] = await services.livestreams.list(me.workspace)
    await run(services, me, "golive", f"start {stream.id}")
    changed = await run(services, me, "golive", "moderation rules banned scamcoin,spamword")
    assert "banned: scamcoin, spamword" in changed.private[0]
    again = await run(services, me, "golive", "moderation rules")  # stored, not just shown
    assert "banned: scamcoin, spamword" in again.private[0]

    chat = services.sandbox.emulators["youtube"].chat  # type: ignore[attr-defined]
    video = await youtube_id(services, stream.id)
    chat.inject(video, "buy SCAMCOIN now")
    chat.inject(video, "hello everyone")
    await until(lambda: len(services.chat.moderation.lines) == 1)
    status = await run(services, me, "golive", f"status {stream.id}")
    assert "chat relay: 1 platform, 2 lines, 1 held" in status.posts
    history = await run(services, me, "golive", f"moderation {stream.id}")
    assert "rule:banned_word" in history.private[0]


async def test_moderation_goes_through_the_connection_and_survives_a_restart(
    services: Services,
) -> None:
    me = who(services)
    await run(services, me, "golive", '"Modded" on youtube chat')
    [stream] = await services.livestreams.list(me.workspace)
    await run(services, me, "golive", f"start {stream.id}")
    chat = services.sandbox.emulators["youtube"].chat  # type: ignore[attr-defined]
    chat.inject(await youtube_id(services, stream.id), "rude words")
    await until(lambda: len(services.chat.moderation.lines) == 1)
    [line] = services.chat.moderation.lines.values()
    before = quota_of(await services.livestreams.get(me.workspace, stream.id))

    said = await services.chat.moderation.act(
        me.workspace, line.id, "ban", actor="slack:UMOD", actor_name="@mo", role="moderator"
    )
    assert said == "banned on YouTube by @mo"
    calls = services.sandbox.requests["youtube"]  # type: ignore[attr-defined]
    assert ("POST", "/youtube/v3/liveChat/bans") in calls
    assert quota_of(await services.livestreams.get(me.workspace, stream.id)) > before

    # a restart: nothing in memory; the line comes from the store, the ban id from the row
    await services.chat.close()
    services.chat = ChatService(services)
    said = await services.chat.moderation.act(
        me.workspace, line.id, "unban", actor="slack:UMOD", actor_name="@mo", role="moderator"
    )
    assert said == "unbanned on YouTube by @mo"
    assert ("DELETE", "/youtube/v3/liveChat/bans") in calls


def quota_of(stream) -> int:
    return sum(r.quota_used or 0 for r in stream.platforms if r.platform == "youtube")


async def test_a_platform_that_goes_live_later_joins_the_running_chat(
    services: Services,
) -> None:
    me = who(services)
    twitch = services.sandbox.emulators["twitch"]  # type: ignore[attr-defined]
    twitch.live_after = None  # the encoder is not sending to Twitch yet
    await run(services, me, "golive", '"Late Twitch" on youtube,twitch chat')
    [stream] = await services.livestreams.list(me.workspace)
    await run(services, me, "golive", f"start {stream.id}")
    assert services.chat.platforms[stream.id] == ["youtube"]

    twitch.connect_encoder()
    again = await run(services, me, "golive", f"start {stream.id}")
    assert again.ok, again.private
    assert sorted(services.chat.platforms[stream.id]) == ["twitch", "youtube"]
    await until(lambda: any(s.subscriptions for s in twitch.chat.sessions.values()))
    await twitch.chat.inject("hello from twitch", "viewer")
    await until(
        lambda: "hello from twitch" in [x.text for x in services.chat.moderation.lines.values()]
    )
