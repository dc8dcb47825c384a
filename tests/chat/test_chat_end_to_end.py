"""Live chat end to end: a signed Slack command starts a broadcast with chat relay on, the
sandbox produces chat on YouTube, Facebook, Twitch and Restream, and both the Slack fake and
the Discord fake receive every message exactly once, in order per platform, coalesced, never
faster than a thread may take posts; ``stop`` ends collection.

Everything between is golive's real path: Bolt behind golive's web app, the livestream
service, the chat service with its collectors over real HTTP and WebSockets to the emulators,
the store, the filters and the relay's couriers into the Slack and Discord adapters.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.discord.client import GoliveBot
from bot.adapters.slack.app import SlackAdapter
from bot.services.context import Services
from bot.web import create_app
from storage.models import LivestreamPlatform
from tests.conftest import FastRetry
from tests.discord.conftest import World, discord_settings, fake, world  # noqa: F401
from tests.discord.fake import TOKEN, FakeDiscord
from tests.relay.helpers import most_in_window
from tests.slack import signing
from tests.slack.conftest import serve
from tests.slack.fake_api import FakeSlack

PLATFORMS = ("youtube", "facebook", "twitch", "restream")
#: Restream's own events say where they came from: these come from a LinkedIn channel that
#: only Restream carries
TAGS = {"youtube": "YouTube", "facebook": "Facebook", "twitch": "Twitch", "restream": "LinkedIn"}
PER_PLATFORM = 24
HOSTILE = "<!channel> @everyone <@U123> [golive](https://evil.example) *bold*\x1b[31m\u202eend"
_DISCORD_ROW = re.compile(r"^\*\*\[(\w+)\]\*\* .*?: (.*)$")


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def until(check, within: float = 30.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - polling what fake servers recorded
            await asyncio.sleep(0.05)


def slack_thread_lines(slack: FakeSlack, thread: str) -> tuple[list[str], list[float]]:
    """Texts of the relayed lines in one Slack thread, in posting order, and post times."""
    texts, times = [], []
    for call in slack.calls:
        if call.method != "chat.postMessage" or call.args.get("thread_ts") != thread:
            continue
        blocks = [b for b in call.args.get("blocks") or [] if b["block_id"].startswith("chat:")]
        if not blocks:
            continue
        times.append(call.at)
        texts.extend(b["text"]["text"] for b in blocks)
    return texts, times


def discord_thread_rows(server: FakeDiscord, thread: int) -> tuple[list[tuple[str, str]], list]:
    rows, times = [], []
    for channel, at, body in server.created:
        if channel != thread:
            continue
        times.append(at)
        for row in body["content"].splitlines():
            if (match := _DISCORD_ROW.match(row)) is not None:
                rows.append((match.group(1), match.group(2)))
    return rows, times


async def test_chat_from_four_platforms_reaches_slack_and_discord_once_in_order(
    tmp_path: Path,
    fake: FakeDiscord,  # noqa: F811
    world: World,  # noqa: F811
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
    emulators = services.sandbox.emulators  # type: ignore[attr-defined]
    emulators["youtube"].chat.polling_interval_ms = 200
    adapter = SlackAdapter(services)
    runner, url = await serve(create_app(services, adapter))
    bot = GoliveBot(services)
    await bot.login(TOKEN)
    workspace = services.settings.workspace
    await services.announcements.add_target(
        workspace, "discord", str(world.announcements), user="UADMIN"
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def command(text: str) -> None:
                body = signing.command_body(
                    "/golive", text, user="UADMIN", response_url=f"{slack_url}/response/1"
                )
                response = await http.post(
                    f"{url}/slack/events", data=body.encode(), headers=signing.headers(body)
                )
                await response.read()
                assert response.status == 200
                await adapter.drain()

            await command('"Community call" on youtube,facebook,twitch,restream chat')
            [stream] = await services.livestreams.list(workspace)
            assert stream.chat_relay
            await command(f"start {stream.id}")
            await until(lambda: services.chat.running(stream.id))
            assert sorted(services.chat.platforms[stream.id]) == sorted(PLATFORMS)

            copies = await services.announcements.copies("broadcast", stream.id)
            threads = {c.chat: c.thread_id for c in copies}
            assert set(threads) == {"slack", "discord"} and all(threads.values())
            slack_thread, discord_thread = str(threads["slack"]), int(str(threads["discord"]))

            # push platforms only deliver to a subscribed session: wait for both sockets
            twitch, restream = emulators["twitch"].chat, emulators["restream"].chat
            await until(lambda: any(s.subscriptions for s in twitch.sessions.values()))
            await until(lambda: bool(restream.sockets))

            rows = {r.platform: r for r in await _rows(services, stream.id)}
            sent: dict[str, list[str]] = {p: [] for p in PLATFORMS}
            for n in range(PER_PLATFORM):
                texts = {p: f"{p} says {n}" for p in PLATFORMS}
                if n == 5:
                    texts = {p: f"{HOSTILE} {p} {n}" for p in PLATFORMS}
                emulators["youtube"].chat.inject(rows["youtube"].remote_id, texts["youtube"])
                emulators["facebook"].chat.inject(
                    rows["facebook"].remote_id, texts["facebook"], name=f"Fan {n % 8}"
                )
                await twitch.inject(texts["twitch"], f"chatter{n % 8}")
                await restream.inject(texts["restream"], f"fan{n % 8}")
                if n == 3:  # YouTube's copy of a message golive reads from YouTube itself
                    await restream.inject("seen on YouTube already", event_source_id=13)
                for p in PLATFORMS:
                    sent[p].append(texts[p])
                if n % 6 == 0:
                    twitch.duplicate_next = restream.duplicate_next = True  # redeliveries
                    emulators["youtube"].chat.overlap = 2
                await asyncio.sleep(0.05)

            total = PER_PLATFORM * len(PLATFORMS)
            await until(lambda: len(slack_thread_lines(slack_fake, slack_thread)[0]) >= total)
            await until(lambda: len(discord_thread_rows(fake, discord_thread)[0]) >= total)
            await services.chat.relay.drain()

            slack_texts, slack_times = slack_thread_lines(slack_fake, slack_thread)
            discord_rows, discord_times = discord_thread_rows(fake, discord_thread)
            assert len(slack_texts) == total and len(discord_rows) == total
            for platform in PLATFORMS:
                tag = TAGS[platform]
                mine = [t for t in slack_texts if t.startswith(f"*{tag}* ")]
                plain = [sent_text.split(" ")[-1] for sent_text in sent[platform]]
                # every message once, in the platform's order (the number ends each text)
                assert [t.rsplit(" ", 1)[-1] for t in mine] == plain
                theirs = [text for where, text in discord_rows if where == tag]
                assert [t.rsplit(" ", 1)[-1] for t in theirs] == plain
            # coalesced, and never more than one post a second per thread (Slack's limit;
            # Discord's 5 per 5 s follows)
            assert len(slack_times) < total / 4 and len(discord_times) < total / 4
            assert most_in_window(slack_times, 1.0) <= 1
            assert most_in_window(discord_times, 1.0) <= 1
            assert most_in_window(discord_times, 5.0) <= 5
            assert fake.channel_429s == 0 and fake.rejections == []
            assert slack_fake.problems == []
            # chat text arrives inert in both
            hostile_slack = [t for t in slack_texts if "everyone" in t]
            assert len(hostile_slack) == len(PLATFORMS)
            for text in hostile_slack:
                assert (
                    "<!channel>" not in text and "<@U123>" not in text and "@everyone" not in text
                )
                assert "](" not in text and "\x1b" not in text and "\u202e" not in text
                assert "*bold*" not in text
            hostile_discord = [t for _, t in discord_rows if "everyone" in t]
            assert len(hostile_discord) == len(PLATFORMS)
            for text in hostile_discord:
                assert "@everyone" not in text and "<@U123>" not in text and "](" not in text
                assert "\x1b" not in text and "\u202e" not in text
            assert all(
                body["allowed_mentions"] == {"parse": []}
                for channel, _, body in fake.created
                if channel == discord_thread
            )
            relays = [
                c.args
                for c in slack_fake.calls
                if c.method == "chat.postMessage"
                and c.args.get("thread_ts") == slack_thread
                and any(b["block_id"].startswith("chat:") for b in c.args.get("blocks") or [])
            ]
            assert relays and all(r["link_names"] is False and r["parse"] == "none" for r in relays)
            stored = await services.chat.store.search(stream.id)
            assert len(stored) == total
            assert not any("seen on YouTube" in t for t in slack_texts)  # no second copy

            await command(f"status {stream.id}")
            said = "\n".join(str(r) for r in slack_fake.responses)
            assert f"chat relay: 4 platforms, {total} lines, 0 held" in said

            await command(f"stop {stream.id}")
            assert not services.chat.running(stream.id)
            await twitch.inject("after the end", "late")
            emulators["facebook"].chat.inject(rows["facebook"].remote_id, "after the end")
            await asyncio.sleep(3.5)
            assert len(await services.chat.store.search(stream.id)) == total
    finally:
        await bot.close()
        await adapter.close()
        await runner.cleanup()
        await services.close()
        await slack_runner.cleanup()


async def _rows(services: Services, stream_id: str) -> list[LivestreamPlatform]:
    stream = await services.livestreams.get(services.settings.workspace, stream_id)
    return list(stream.platforms)
