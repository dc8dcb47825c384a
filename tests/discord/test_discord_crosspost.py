"""A broadcast started from Slack is announced in Discord, and its state edits follow there.

The Slack side is driven through the shared handlers with a Slack requester and a recording
Slack publisher; the Discord side is the real bot posting to the fake Discord.
"""

from __future__ import annotations

import pytest

from bot.handlers import Requester, run
from bot.services.context import Services
from bot.views import Announcement
from tests.discord.conftest import World
from tests.discord.fake import FakeDiscord


class SlackChannel:
    """Stands in for the Slack adapter's publisher: records posts, edits and threads."""

    chat = "slack"

    def __init__(self) -> None:
        self.posts: list[tuple[str, Announcement]] = []
        self.updates: list[Announcement] = []
        self.threads: list[str] = []

    async def post(self, workspace: str, channel: str, announcement: Announcement) -> str:
        self.posts.append((channel, announcement))
        return f"1733.{len(self.posts):06d}"

    async def update(self, workspace, channel, message_id, announcement) -> None:
        self.updates.append(announcement)

    async def open_thread(self, workspace, channel, message_id, name) -> str:
        self.threads.append(message_id)
        return message_id


def status_of(body: dict) -> str:
    return {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}["Status"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_slack_broadcast_reaches_discord_and_its_edits_follow(
    bot, fake: FakeDiscord, world: World, services: Services
) -> None:
    slack = SlackChannel()
    services.announcements.register(slack)
    workspace = services.settings.workspace
    await services.announcements.add_target(
        workspace, "discord", str(world.announcements), user="U0ADMIN"
    )
    admin = Requester(workspace, "U0ADMIN", chat="slack", channel="C0LIVE")

    created = await run(services, admin, "golive", '"Sunday service" on youtube record')
    assert created.ok, created.private
    assert [channel for channel, _ in slack.posts] == ["C0LIVE"]
    [post] = fake.in_channel(world.announcements)
    assert post["embeds"][0]["title"] == "Sunday service"
    assert status_of(post) == "created"
    assert post["components"][0]["components"][0]["label"] == "★ Primary · YouTube"

    assert (await run(services, admin, "golive", "start")).ok
    message_id, body = fake.edits[-1]
    assert message_id == int(post["id"]) and status_of(body) == "live"
    assert [t["id"] for t in fake.threads] == [post["id"]]  # the relay's thread in Discord
    assert slack.threads == ["1733.000001"]  # and in Slack

    assert (await run(services, admin, "golive", "stop")).ok
    message_id, body = fake.edits[-1]
    assert message_id == int(post["id"]) and status_of(body) == "ended"
    assert [a.status for a in slack.updates] == ["live", "ended"]
    assert len(fake.in_channel(world.announcements)) == 1  # one copy, edited in place
