"""``golive serve`` runs the bot beside the web server; ``golive discord sync`` syncs per server."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import discord.gateway
import httpx
import pytest

from bot import cli
from tests.conftest import database_url
from tests.discord import payloads
from tests.discord.conftest import World, discord_settings
from tests.discord.fake import FakeDiscord

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def restore_gateway():
    default = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = default


async def test_serve_runs_the_bot_in_the_web_servers_loop(
    tmp_path: Path, fake: FakeDiscord, world: World, restore_gateway
) -> None:
    port = free_port()
    url = await database_url("sqlite", tmp_path)
    settings = discord_settings(tmp_path, url, fake, world, port=port)
    serving = asyncio.create_task(cli._serve(settings))
    try:
        await fake.wait_until(lambda: fake.identify is not None, within=10)
        intents = fake.identify["intents"]
        assert intents == discord.Intents(guilds=True).value and not intents & PRIVILEGED
        assert {c["name"] for c in fake.commands[world.guild]} == {"golive", "meet", "platforms"}
        async with httpx.AsyncClient() as web:
            health = await web.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200

        # An interaction over the gateway, as Discord delivers it, is answered over REST.
        payload = payloads.command(
            fake, world.guild, world.channel, world.admin, "meet", title="Sync", platforms="jitsi"
        )
        await fake.dispatch("INTERACTION_CREATE", payload)
        await fake.wait_until(lambda: len(fake.in_channel(world.channel)) == 1, within=10)
        assert fake.interactions[int(payload["id"])].callback["type"] == 5

        # With the server in the guild cache, DISCORD_ADMIN_ROLE may name a role.
        named = payloads.member(fake.add_user("nia"), roles=[world.named_admin_role])
        payload = payloads.command(
            fake,
            world.guild,
            world.channel,
            named,
            "platforms",
            action="disconnect",
            platform="youtube",
        )
        await fake.dispatch("INTERACTION_CREATE", payload)
        item = fake.interactions[int(payload["id"])]
        await fake.wait_until(lambda: bool(item.original_edits), within=10)
        assert item.original_edits[-1]["content"] == "YouTube was not connected."

        # A server that invites the bot later gets the commands at once. (discord.py counts
        # servers arriving within 2 s of READY as part of it, not as joins: wait that out.)
        await asyncio.sleep(2.1)
        later = fake.add_guild("Later")
        await fake.dispatch("GUILD_CREATE", fake.guild_create(later, joined=True))
        await fake.wait_until(lambda: later in fake.commands, within=10)
    finally:
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving


async def test_discord_sync_command(
    tmp_path: Path, fake: FakeDiscord, world: World, capsys
) -> None:
    other = fake.add_guild("Elsewhere")
    url = await database_url("sqlite", tmp_path)
    settings = discord_settings(tmp_path, url, fake, world, discord_guild_ids=str(world.guild))
    assert cli._parser().parse_args(["discord", "sync"]).action == "sync"
    assert await cli._discord(settings, "sync") == 0
    assert capsys.readouterr().out.strip() == f"server {world.guild}: 3 commands"
    assert other not in fake.commands


async def test_discord_sync_needs_a_token(tmp_path: Path, capsys) -> None:
    url = await database_url("sqlite", tmp_path)
    from tests.conftest import make_settings

    assert await cli._discord(make_settings(tmp_path, url), "sync") == 2
    assert "DISCORD_BOT_TOKEN" in capsys.readouterr().err


async def test_discord_announce_adds_a_checked_target(
    tmp_path: Path, fake: FakeDiscord, world: World, capsys
) -> None:
    url = await database_url("sqlite", tmp_path)
    settings = discord_settings(
        tmp_path, url, fake, world, discord_workspaces=f"{world.guild}=community"
    )
    assert await cli._discord(settings, "announce", world.announcements) == 0
    assert capsys.readouterr().out.strip() == (
        f"workspace community announces in #announcements ({world.announcements})"
    )
    assert await cli._discord(settings, "announce", world.announcements) == 0
    assert "already announces" in capsys.readouterr().out
    assert await cli._discord(settings, "announce", 42) == 1
    assert "Unknown Channel" in capsys.readouterr().err
    assert await cli._discord(settings, "announce", world.announcements, remove=True) == 0
    assert "no longer announces" in capsys.readouterr().out


async def test_serve_reports_each_chat_in_healthz(
    tmp_path: Path, fake: FakeDiscord, world: World, restore_gateway
) -> None:
    port = free_port()
    url = await database_url("sqlite", tmp_path)
    settings = discord_settings(
        tmp_path,
        url,
        fake,
        world,
        port=port,
        slack_bot_token="xoxb-health",
        slack_signing_secret="health-signing-secret",
        slack_api_url="http://127.0.0.1:9/api",  # never asked: HTTP mode waits for events
    )
    serving = asyncio.create_task(cli._serve(settings))
    try:
        async with httpx.AsyncClient() as web:

            async def chat() -> dict[str, str]:
                try:
                    return (await web.get(f"http://127.0.0.1:{port}/healthz")).json()["chat"]
                except httpx.TransportError:
                    return {}

            deadline = asyncio.get_running_loop().time() + 15
            while (await chat()).get("discord") != "connected":
                assert asyncio.get_running_loop().time() < deadline, await chat()
                await asyncio.sleep(0.05)
            assert (await chat())["slack"] == "HTTP (events at /slack/events)"
    finally:
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving


async def test_a_process_without_the_gateway_posts_over_rest(
    tmp_path: Path, fake: FakeDiscord, world: World
) -> None:
    """Several processes: all but one run with GOLIVE_DISCORD_GATEWAY=off and still post."""
    from bot.adapters.discord import client
    from bot.handlers import Requester, run
    from bot.services.context import Services

    url = await database_url("sqlite", tmp_path)
    settings = discord_settings(tmp_path, url, fake, world, discord_gateway=False)
    services = await Services.start(settings, sandbox=True)
    bot = await client.start(services)
    try:
        assert services.health.chat == {"discord": "REST only (GOLIVE_DISCORD_GATEWAY=off)"}
        workspace = services.settings.workspace
        await services.announcements.add_target(
            workspace, "discord", str(world.announcements), user="U0ADMIN"
        )
        admin = Requester(workspace, "U0ADMIN", chat="slack", channel="C0LIVE")
        reply = await run(services, admin, "golive", '"Sunday service" on youtube')
        assert reply.ok, reply.private
        await fake.wait_until(lambda: len(fake.in_channel(world.announcements)) == 1, within=10)
        await asyncio.sleep(0.2)
        assert fake.identify is None  # never opened a gateway session
        assert world.guild not in fake.commands  # nor replaced the commands the other syncs
    finally:
        await bot.close()
        await services.close()
