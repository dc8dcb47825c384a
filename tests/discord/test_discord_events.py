"""Scheduled broadcasts and meetings as Discord guild scheduled events, kept in step on edit
and cancel; the bot without Manage Events; the fake rejecting what Discord rejects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.handlers import Requester, run
from bot.services.context import Services
from tests.discord.conftest import World
from tests.discord.fake import FakeDiscord

WHO = Requester("w", "U1")


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def parsed(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
async def scheduled(bot, services: Services, world: World) -> Services:
    await services.connections.connect_in_sandbox("w", "U1", "youtube")
    await services.announcements.add_target("w", "discord", str(world.announcements), user="U1")
    return services


async def test_a_scheduled_broadcast_is_a_guild_event_that_follows_edit_and_cancel(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    first = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    created = await run(scheduled, WHO, "golive", f'"Launch" on youtube at {at(first)}')
    assert created.ok, created.private
    assert fake.in_channel(world.announcements)  # the announcement itself
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["entity_type"] == 3 and event["privacy_level"] == 2
    assert event["channel_id"] is None and event["name"] == "Launch"
    location = event["entity_metadata"]["location"]
    assert location.startswith("http://127.0.0.1:3000/go/") and location.endswith("?s=discord")
    assert len(location) <= 100
    assert parsed(event["scheduled_start_time"]) == first
    assert parsed(event["scheduled_end_time"]) == first + timedelta(hours=1)

    later = first + timedelta(days=1, minutes=15)
    stream = (await scheduled.livestreams.list("w"))[0]
    edited = await run(scheduled, WHO, "golive", f'edit {stream.id} "Relaunch" at {at(later)}')
    assert edited.ok, edited.private
    (moved,) = fake.scheduled_events.in_guild(world.guild)
    assert moved["id"] == event["id"]  # the same event, changed in place
    assert parsed(moved["scheduled_start_time"]) == later and moved["name"] == "Relaunch"
    assert ("PATCH", f"/guilds/{world.guild}/scheduled-events/{event['id']}", 200) in fake.calls

    cancelled = await run(scheduled, WHO, "golive", f"cancel {stream.id}")
    assert cancelled.ok, cancelled.private
    assert fake.scheduled_events.in_guild(world.guild) == []
    assert ("DELETE", f"/guilds/{world.guild}/scheduled-events/{event['id']}", 204) in fake.calls


async def test_a_scheduled_meeting_is_an_event_of_its_length(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    start = (datetime.now(UTC) + timedelta(hours=5)).replace(second=0, microsecond=0)
    created = await run(scheduled, WHO, "meet", f'"Sync" on jitsi at {at(start)} for 45m')
    assert created.ok, created.private
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert parsed(event["scheduled_end_time"]) - parsed(event["scheduled_start_time"]) == (
        timedelta(minutes=45)
    )
    meeting = (await scheduled.meetings.list("w"))[0]
    assert (await run(scheduled, WHO, "meet", f"cancel {meeting.id}")).ok
    assert fake.scheduled_events.in_guild(world.guild) == []


async def test_an_item_without_a_time_has_no_event(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    assert (await run(scheduled, WHO, "golive", '"Now" on youtube')).ok
    assert fake.in_channel(world.announcements)
    assert fake.scheduled_events.events == {}


async def test_without_manage_events_the_announcement_posts_and_the_admin_is_told_once(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    fake.scheduled_events.without_permission.add(world.guild)
    start = datetime.now(UTC) + timedelta(days=1)
    created = await run(scheduled, WHO, "golive", f'"Launch" on youtube at {at(start)}')
    assert created.ok
    assert fake.in_channel(world.announcements)
    notes = [line for line in created.private if "Manage Events" in line]
    assert len(notes) == 1
    assert "announcement was posted" in notes[0]
    assert fake.scheduled_events.events == {}
    assert any(body.get("code") == 50013 for _, _, body in fake.rejections)


async def test_the_fake_rejects_what_discord_rejects(bot, fake: FakeDiscord, world: World):
    start = datetime.now(UTC) + timedelta(hours=1)
    base = {
        "name": "x",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": start.isoformat(),
    }
    with pytest.raises(discord.HTTPException) as missing:
        await bot.http.create_guild_scheduled_event(world.guild, **base)
    assert missing.value.status == 400 and missing.value.code == 50035
    _, _, body = fake.rejections[-1]
    assert body["message"] == "Invalid Form Body"
    errors = body["errors"]
    assert errors["entity_metadata"]["location"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
    assert "scheduled_end_time" in errors

    bad = {
        **base,
        "name": "n" * 101,
        "description": "d" * 1001,
        "privacy_level": 1,
        "scheduled_start_time": (start - timedelta(days=1)).isoformat(),
        "scheduled_end_time": start.isoformat(),
        "entity_metadata": {"location": "l" * 101},
    }
    with pytest.raises(discord.HTTPException):
        await bot.http.create_guild_scheduled_event(world.guild, **bad)
    errors = fake.rejections[-1][2]["errors"]
    assert set(errors) == {
        "name",
        "description",
        "privacy_level",
        "scheduled_start_time",
        "entity_metadata",
    }
    made = await bot.http.create_guild_scheduled_event(
        world.guild,
        **base,
        scheduled_end_time=(start + timedelta(hours=1)).isoformat(),
        entity_metadata={"location": "https://example.org/live"},
    )
    with pytest.raises(discord.HTTPException):  # SCHEDULED may not become COMPLETED
        await bot.http.edit_scheduled_event(world.guild, int(made["id"]), status=3)
    await bot.http.edit_scheduled_event(world.guild, int(made["id"]), status=4)
    await bot.http.delete_scheduled_event(world.guild, int(made["id"]))
    with pytest.raises(discord.NotFound):
        await bot.http.delete_scheduled_event(world.guild, int(made["id"]))


async def test_going_live_early_makes_the_event_active_and_the_end_completes_it(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    await run(scheduled, WHO, "golive", f'"Early bird" on youtube at {at(later)}')
    [stream] = await scheduled.livestreams.list("w")
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["status"] == 1

    started = await run(scheduled, WHO, "golive", f"start {stream.id}")
    assert started.ok, started.private
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["status"] == 2  # ACTIVE although its time has not come
    assert ("GET", f"/guilds/{world.guild}/scheduled-events/{event['id']}", 200) in fake.calls

    stopped = await run(scheduled, WHO, "golive", f"stop {stream.id}")
    assert stopped.ok, stopped.private
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["status"] == 3  # COMPLETED: listed as over in the server


async def test_a_long_broadcast_keeps_its_event_open_until_it_ends(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    now = datetime.now(UTC)
    soon = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    await run(scheduled, WHO, "golive", f'"Marathon" on youtube at {at(soon)}')
    await run(scheduled, WHO, "golive", '"Short one" on youtube')
    marathon, short = sorted(
        await scheduled.livestreams.list("w"), key=lambda s: s.title != "Marathon"
    )
    await run(scheduled, WHO, "golive", f"start {marathon.id}")
    await run(scheduled, WHO, "golive", f"start {short.id}")  # live, but it has no event
    (event,) = fake.scheduled_events.in_guild(world.guild)
    first_end = parsed(event["scheduled_end_time"])
    assert event["status"] == 2 and first_end >= now + timedelta(minutes=59)

    # 50 minutes in, the leader's routine moves the end an hour ahead of then; at 90 minutes,
    # past the first end, Discord has not completed the event
    scheduled.events.clock = lambda: now + timedelta(minutes=50)
    assert await scheduled.events.extend_live() == 1  # the one live broadcast with an event
    fake.scheduled_events.automate(now + timedelta(minutes=90))
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["status"] == 2
    assert parsed(event["scheduled_end_time"]) >= now + timedelta(minutes=110)
    # past the moved end as well, Discord completes it by itself (the fake models that)
    fake.scheduled_events.automate(now + timedelta(minutes=111))
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["status"] == 3


async def test_an_event_discord_already_completed_is_left_as_it_is(
    scheduled: Services, fake: FakeDiscord, world: World
) -> None:
    soon = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    await run(scheduled, WHO, "golive", f'"Overran" on youtube at {at(soon)}')
    [stream] = await scheduled.livestreams.list("w")
    await run(scheduled, WHO, "golive", f"start {stream.id}")
    fake.scheduled_events.automate(datetime.now(UTC) + timedelta(days=2))  # its end passed
    (event,) = fake.scheduled_events.in_guild(world.guild)
    assert event["status"] == 3
    stopped = await run(scheduled, WHO, "golive", f"stop {stream.id}")
    assert stopped.ok, stopped.private  # no invalid status change was sent, nothing failed
    assert not [c for c in fake.calls if c[0] == "PATCH" and c[2] != 200]
