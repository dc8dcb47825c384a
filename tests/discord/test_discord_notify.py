"""Connection notices in Discord: one direct message per problem with a Reconnect link button
(a sign-in link of the admin's own), the admin's choices, and a channel instead."""

from __future__ import annotations

from bot.adapters.discord.client import GoliveBot
from bot.handlers import Requester, run
from bot.services.context import Services
from tests.discord.conftest import World
from tests.discord.fake import FakeDiscord


def dm_channels(fake: FakeDiscord, user_id: int) -> list[int]:
    return [
        cid
        for cid, channel in fake.channels.items()
        if channel.get("type") == 1 and int(channel["recipients"][0]["id"]) == user_id
    ]


def notices(fake: FakeDiscord, channel_ids: list[int]) -> list[dict]:
    return [
        m
        for cid in channel_ids
        for m in fake.in_channel(cid)
        if "connection expired" in m["content"]
    ]


async def test_one_dm_per_problem_with_a_reconnect_link(
    services: Services, bot: GoliveBot, fake: FakeDiscord, world: World
):
    admin = int(world.admin["user"]["id"])
    workspace = services.settings.discord_workspace(world.guild)
    await services.connections.connect_in_sandbox(workspace, str(admin), "youtube")
    faults = services.sandbox.emulators["youtube"].faults
    faults.expire_tokens = faults.refuse_refresh = True
    for _ in range(4):
        await services.health.check(workspace, "youtube")
    [message] = notices(fake, dm_channels(fake, admin))
    [row] = message["components"]
    [button] = row["components"]
    assert button["label"] == "Reconnect" and button["style"] == 5  # a link button
    assert button["url"].startswith(f"{services.settings.public_url}/connect/youtube?state=")
    assert "/platforms connect youtube" in message["content"]
    # healthy again, then broken again: one more
    faults.reset()
    await services.connections.connect_in_sandbox(workspace, str(admin), "youtube")
    assert (await services.health.check(workspace, "youtube")).status == "connected"
    faults.expire_tokens = faults.refuse_refresh = True
    for _ in range(3):
        await services.health.check(workspace, "youtube")
    assert len(notices(fake, dm_channels(fake, admin))) == 2


async def test_a_chosen_channel_gets_the_notice_without_a_sign_in_link(
    services: Services, bot: GoliveBot, fake: FakeDiscord, world: World
):
    admin = world.admin["user"]["id"]
    workspace = services.settings.discord_workspace(world.guild)
    who = Requester(workspace, admin, chat="discord", channel=str(world.channel))
    chosen = await run(services, who, "platforms", f"notify channel <#{world.announcements}>")
    assert chosen.ok and f"by channel <#{world.announcements}>" in chosen.private[0]
    off = await run(services, who, "platforms", "notify refresh off")
    assert "expired, broken; by channel" in off.private[0]
    await services.connections.connect_in_sandbox(workspace, admin, "youtube")
    faults = services.sandbox.emulators["youtube"].faults
    faults.expire_tokens = faults.refuse_refresh = True
    await services.health.check(workspace, "youtube")
    [message] = notices(fake, [world.announcements])
    assert message["components"] == []  # a shared channel gets no one's sign-in link
    assert dm_channels(fake, int(admin)) == []
    console = await run(services, Requester(workspace, admin), "platforms", "notify")
    assert not console.ok and "Slack or Discord" in console.private[0]
