"""A broadcast started by a signed Slack request is announced in Discord; its edits follow.

Both chat adapters are the real ones: Bolt behind golive's web app with the fake Slack Web
API, and discord.py's client talking to the fake Discord.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bot.adapters.discord.client import GoliveBot
from bot.adapters.slack.app import SlackAdapter
from bot.services.context import Services
from bot.web import create_app
from tests.conftest import FastRetry
from tests.discord.conftest import World, discord_settings
from tests.discord.fake import TOKEN, FakeDiscord
from tests.slack import signing
from tests.slack.conftest import serve
from tests.slack.fake_api import FakeSlack


def status_of(body: dict) -> str:
    return {f["name"]: f["value"] for f in body["embeds"][0]["fields"]}["Status"]


async def until(check, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - polling what a fake server recorded
            await asyncio.sleep(0.05)


async def test_signed_slack_command_reaches_discord(
    tmp_path: Path, fake: FakeDiscord, world: World
) -> None:
    slack_fake = FakeSlack(users={"UADMIN": {"is_admin": True}})
    slack_runner, slack_url = await serve(slack_fake.app())
    slack_fake.base_url = slack_url
    settings = discord_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'golive.db'}",
        fake,
        world,
        slack_bot_token="xoxb-test",
        slack_signing_secret=signing.SECRET,
        slack_api_url=f"{slack_url}/api",
    )
    services = await Services.start(settings, sandbox=True)
    services.connections.retry_policy = FastRetry(initial_wait=0.01)
    adapter = SlackAdapter(services)
    runner, url = await serve(create_app(services, adapter))
    bot = GoliveBot(services)
    await bot.login(TOKEN)
    await services.announcements.add_target(
        services.settings.workspace, "discord", str(world.announcements), user="UADMIN"
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def command(text: str) -> int:
                body = signing.command_body(
                    "/golive", text, user="UADMIN", response_url=f"{slack_url}/response/1"
                )
                response = await http.post(
                    f"{url}/slack/events", data=body.encode(), headers=signing.headers(body)
                )
                await response.read()
                return response.status

            assert await command('"Launch" on youtube,facebook primary youtube') == 200
            await adapter.drain()
            await until(lambda: len(fake.in_channel(world.announcements)) == 1)
            [post] = fake.in_channel(world.announcements)
            assert post["embeds"][0]["title"] == "Launch"
            labels = [b["label"] for b in post["components"][0]["components"]]
            assert labels[0] == "★ Primary · YouTube" and "Facebook" in labels[1]

            assert await command("start") == 200
            await adapter.drain()
            await until(lambda: any(status_of(b) == "live" for _, b in fake.edits))
            message_id = next(m for m, b in fake.edits if status_of(b) == "live")
            assert message_id == int(post["id"])
            await until(lambda: any(t["id"] == post["id"] for t in fake.threads))

            assert await command("stop") == 200
            await adapter.drain()
            await until(lambda: status_of(fake.edits[-1][1]) == "ended")
            assert len(fake.in_channel(world.announcements)) == 1  # one copy, edited
    finally:
        await bot.close()
        await adapter.close()
        await runner.cleanup()
        await services.close()
        await slack_runner.cleanup()
