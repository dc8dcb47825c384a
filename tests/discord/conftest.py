"""The fake Discord, Services configured for it, and a logged-in bot on the real client.

Interactions are handed to discord.py exactly where its gateway hands them
(``ConnectionState.parse_interaction_create``); everything the bot answers goes over real
HTTP to the fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord.http
import pytest

from bot.adapters.discord.client import GoliveBot
from bot.services.context import Services
from tests.conftest import FastRetry, database_url, make_settings
from tests.discord import payloads
from tests.discord.fake import TOKEN, FakeDiscord

_HANDLERS = (
    "CommandTree-invoker",
    "discord-ui-modal-dispatch",
    "discord-ui-view-dispatch",
    "discord.py: on_interaction",
)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the cross-posting test runs on both backends


@dataclass
class World:
    guild: int
    channel: int
    announcements: int
    admin_role: int
    moderator_role: int
    named_admin_role: int  # configured by name ("golive admins"), not by id
    admin: dict
    moderator: dict
    owner: dict
    member: dict


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    base = discord.http.Route.BASE
    await server.start()
    try:
        yield server
    finally:
        discord.http.Route.BASE = base
        await server.close()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    guild = fake.add_guild()
    admin_role, moderator_role = fake.snowflake(), fake.snowflake()
    return World(
        guild=guild,
        channel=fake.add_channel(guild, "general"),
        announcements=fake.add_channel(guild, "announcements"),
        admin_role=admin_role,
        moderator_role=moderator_role,
        named_admin_role=fake.add_role(guild, "Golive Admins"),
        admin=payloads.member(fake.add_user("ana"), roles=[admin_role]),
        moderator=payloads.member(fake.add_user("mo"), roles=[moderator_role]),
        owner=payloads.member(
            fake.add_user("olga"), permissions=payloads.MANAGE_GUILD | payloads.SEND_MESSAGES
        ),
        member=payloads.member(fake.add_user("max")),
    )


def discord_settings(tmp_path: Path, url: str, fake: FakeDiscord, world: World, **extra):
    return make_settings(
        tmp_path,
        url,
        discord_bot_token=TOKEN,
        discord_api_url=fake.url,
        discord_admin_role=f"{world.admin_role},golive admins",
        discord_moderator_role=str(world.moderator_role),
        **extra,
    )


@pytest.fixture
async def services(
    backend: str, tmp_path: Path, fake: FakeDiscord, world: World
) -> AsyncIterator[Services]:
    url = await database_url(backend, tmp_path)
    running = await Services.start(discord_settings(tmp_path, url, fake, world), sandbox=True)
    running.connections.retry_policy = FastRetry(initial_wait=0.01)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def bot(services: Services, fake: FakeDiscord) -> AsyncIterator[GoliveBot]:
    client = GoliveBot(services)
    await client.login(TOKEN)
    try:
        yield client
    finally:
        await client.close()


async def settle(within: float = 10.0) -> None:
    """Wait until discord.py's command and modal handler tasks are done."""
    async with asyncio.timeout(within):
        while True:
            busy = [
                t
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task() and t.get_name().startswith(_HANDLERS)
            ]
            if not busy:
                return
            await asyncio.wait(busy)


async def deliver(bot: GoliveBot, payload: dict) -> None:
    """As the gateway would: one INTERACTION_CREATE, then wait for golive to finish with it."""
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    await settle()
