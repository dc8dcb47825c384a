"""The "Remind me" button in Discord: a member opts in (and out) with an ephemeral answer, and
gets a DM with the countdown and the links at each reminder offset (short real delays)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands import CreateBroadcast
from bot.handlers import broadcast_post
from bot.services.context import Services
from tests.conftest import FastRetry, database_url
from tests.discord import payloads
from tests.discord.conftest import World, deliver, discord_settings
from tests.discord.fake import FakeDiscord
from tests.scheduling.conftest import eventually


@pytest.fixture
async def services(
    backend: str, tmp_path: Path, fake: FakeDiscord, world: World
) -> AsyncIterator[Services]:
    url = await database_url(backend, tmp_path)
    settings = discord_settings(tmp_path, url, fake, world, reminders="2s,1s")
    running = await Services.start(settings, sandbox=True)
    running.connections.retry_policy = FastRetry(initial_wait=0.01)
    running.scheduler.lock_retry = 0.1
    try:
        yield running
    finally:
        await running.close()


def _dms(fake: FakeDiscord, user_id: str) -> list[dict]:
    channels = {
        cid
        for cid, c in fake.channels.items()
        if c["type"] == 1 and c["recipients"][0]["id"] == user_id
    }
    return [m for m in fake.messages.values() if int(m["channel_id"]) in channels]


async def _press(bot, fake: FakeDiscord, world: World, who: dict, message: dict) -> dict:
    button = next(
        b["custom_id"]
        for row in message["components"]
        for b in row["components"]
        if b.get("custom_id", "").startswith("golive_remind:")
    )
    payload = payloads.component(fake, world.guild, world.channel, who, message, button)
    await deliver(bot, payload)
    item = fake.interactions[int(payload["id"])]
    await fake.wait_until(lambda: item.callback is not None)
    return item.callback


async def test_remind_me_opts_in_and_dms_arrive_at_each_offset(
    bot, services: Services, fake: FakeDiscord, world: World
) -> None:
    await services.connections.connect_in_sandbox("w", "U1", "youtube")
    start = datetime.now(UTC) + timedelta(seconds=3.5)
    cmd = CreateBroadcast(
        title="Launch", platforms=("youtube",), primary="youtube", start=start, record=False
    )
    stream = await services.livestreams.create("w", "U1", cmd)
    post = await broadcast_post(services, stream, "UTC")
    assert post.remindable
    await services.announcements.publish("w", post, also=[("discord", str(world.channel))])
    (message,) = fake.in_channel(world.channel)
    labels = [b["label"] for row in message["components"] for b in row["components"]]
    assert labels[-1] == "Remind me"

    member = world.member
    user_id = member["user"]["id"]
    answer = await _press(bot, fake, world, member, message)
    assert answer["type"] == 4 and answer["data"]["flags"] & 64  # only the member sees it
    assert "private reminder" in answer["data"]["content"]
    assert await services.optins.members("broadcast", stream.id) == [("discord", user_id)]

    services.scheduler.plan_broadcast("w", stream.id, start)
    await services.scheduler.start()
    await eventually(lambda: len(_dms(fake, user_id)) == 2, within=10)
    texts = [m["content"] for m in _dms(fake, user_id)]
    assert "“Launch” starts in 2 s" in texts[0] and "“Launch” starts in 1 s" in texts[1]
    assert all("★ YouTube: http://127.0.0.1:3000/go/" in t for t in texts)
    # the reminders in the channel carry the button too
    reminders = [m for m in fake.in_channel(world.channel) if m["id"] != message["id"]]
    assert len(reminders) == 2
    assert all(
        any(
            b.get("custom_id", "").startswith("golive_remind:")
            for r in m["components"]
            for b in r["components"]
        )
        for m in reminders
    )
    assert _dms(fake, world.admin["user"]["id"]) == []  # nobody else asked

    again = await _press(bot, fake, world, member, message)
    assert "No more private reminders" in again["data"]["content"]
    assert await services.optins.members("broadcast", stream.id) == []
