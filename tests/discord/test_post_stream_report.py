"""The post-stream report: a sandbox broadcast started and stopped through signed Slack
commands posts its report and charts into the announcement's thread in Slack and in Discord,
exactly once however often it is stopped.

Every part is the real one: Bolt behind golive's web app with the fake Slack Web API (whose
upload flow is checked step by step), discord.py talking to the fake Discord, the sandbox
emulators for YouTube and Twitch, the chat store and the tracked links.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.adapters.discord.client import GoliveBot
from bot.adapters.slack.app import SlackAdapter
from bot.chat.model import ChatLine
from bot.chat.store import ChatStore
from bot.services.context import Services
from bot.web import create_app
from tests.conftest import FastRetry
from tests.discord.conftest import World, discord_settings
from tests.discord.fake import TOKEN, FakeDiscord
from tests.slack import signing
from tests.slack.conftest import serve
from tests.slack.fake_api import FakeSlack

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


async def until(check, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - polling what a fake server recorded
            await asyncio.sleep(0.05)


@dataclass
class Both:
    slack: FakeSlack
    services: Services
    adapter: SlackAdapter
    url: str
    http: aiohttp.ClientSession

    async def command(self, text: str) -> None:
        body = signing.command_body(
            "/golive", text, user="UADMIN", response_url=f"{self.slack.base_url}/response/1"
        )
        response = await self.http.post(
            f"{self.url}/slack/events", data=body.encode(), headers=signing.headers(body)
        )
        await response.read()
        assert response.status == 200
        await self.adapter.drain()


@pytest.fixture
async def both(tmp_path: Path, fake: FakeDiscord, world: World) -> AsyncIterator[Both]:
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
            yield Both(slack_fake, services, adapter, url, http)
    finally:
        await bot.close()
        await adapter.close()
        await runner.cleanup()
        await services.close()
        await slack_runner.cleanup()


def png(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image.size


async def live_with_figures(both: Both) -> str:
    """Create and start through Slack; then two sampling rounds, chat and clicks."""
    services = both.services
    workspace = services.settings.workspace
    await both.command('"Launch" on youtube,twitch primary youtube')
    [stream] = await services.livestreams.list(workspace)
    await both.command(f"start {stream.id}")
    stream = await services.livestreams.get(workspace, stream.id)
    assert stream.status == "live"

    start = datetime.now(UTC) - timedelta(minutes=30)
    emulators = services.sandbox.emulators  # type: ignore[attr-defined]
    for minute, (youtube, twitch) in ((0, (40, 10)), (20, (90, 25))):
        for broadcast in emulators["youtube"].broadcasts.values():
            broadcast.viewers = youtube
        emulators["twitch"].channel.viewers = twitch
        await services.analytics.sample(workspace, stream.id, at=start + timedelta(minutes=minute))
    lines = [
        ChatLine(
            platform=platform,
            message_id=f"{platform}-{n}",
            author_name=f"viewer {n}",
            author_id=f"v{n}",
            badges=frozenset(),
            text="hello",
            sent_at=start + timedelta(minutes=n % 20, seconds=n),
            broadcast_id=stream.id,
        )
        for n, platform in enumerate(["youtube"] * 9 + ["twitch"] * 4)
    ]
    await ChatStore(services.db).add(lines)
    tracking = await services.links.ensure(stream)
    link_id = tracking.urls["youtube"].rsplit("/", 1)[-1].split("?")[0]
    await services.links.follow(link_id, "slack")
    return stream.id


async def test_stop_posts_the_report_with_charts_once_in_every_thread(
    both: Both, fake: FakeDiscord, world: World
) -> None:
    stream_id = await live_with_figures(both)
    copies = {c.chat: c for c in await both.services.announcements.copies("broadcast", stream_id)}
    assert set(copies) == {"slack", "discord"} and all(c.thread_id for c in copies.values())

    await both.command(f"stop {stream_id}")
    await until(lambda: bool(fake.files) and len(both.slack.shared) == 2)
    await both.command(f"stop {stream_id}")  # a second stop posts nothing more
    await asyncio.sleep(0.3)

    # Slack: three steps per the docs, into the announcement's thread, once
    slack = both.slack
    asked = slack.of("files.getUploadURLExternal")
    [completed] = slack.of("files.completeUploadExternal")
    assert completed["channel_id"] == "C1"
    assert completed["thread_ts"] == copies["slack"].thread_id
    assert [f.filename for f in slack.shared] == [
        f"golive-{stream_id}-viewers.png",
        f"golive-{stream_id}-chat.png",
    ]
    assert [int(a["length"]) for a in asked] == [len(f.data) for f in slack.shared]
    assert png(slack.shared[0].data) == (900, 450) and png(slack.shared[1].data) == (900, 300)
    text = slack.shared[0].initial_comment
    assert text.startswith(f"Report · Broadcast {stream_id} · “Launch” has ended")
    assert "YouTube viewers: peak 90 · average 65 (2 samples) · chat 9" in text
    assert "Twitch viewers: peak 25 · average 18 (2 samples) · chat 4" in text
    assert "viewers at peak (all platforms): 115 · duration 20 min" in text
    assert "chat: 13 messages" in text
    assert "clicks: YouTube 1 · Twitch 0 (1 in all)" in text
    assert slack.problems == []

    # Discord: one message in the thread under the announcement, the charts attached
    thread = int(copies["discord"].thread_id)
    reports = [m for m in fake.in_channel(thread) if m["attachments"]]
    [report] = reports
    assert report["content"] == text
    assert [a["filename"] for a in report["attachments"]] == [f.filename for f in slack.shared]
    files = fake.files[int(report["id"])]
    assert [data for _, data in files] == [f.data for f in slack.shared]

    ARTIFACTS.mkdir(exist_ok=True)
    for name, data in files:
        (ARTIFACTS / name.replace(stream_id, "post-stream")).write_bytes(data)


async def test_report_needs_an_ended_broadcast(both: Both, fake: FakeDiscord) -> None:
    workspace = both.services.settings.workspace
    await both.command('"Rehearsal" on youtube')
    [stream] = await both.services.livestreams.list(workspace)
    await both.command(f"start {stream.id}")
    await both.command(f"status {stream.id}")
    await asyncio.sleep(0.2)
    assert both.slack.shared == [] and fake.files == {}
