"""The golive Discord bot: a ``discord.Client`` with golive's command tree.

Intents are the minimum: ``guilds`` only (the server and role cache for role names); no
message content, members or presences, none of the privileged intents. Commands are synced
per server on start (``DISCORD_GUILD_IDS``, or every server the bot is in) and by
``golive discord sync``. ``DISCORD_API_URL`` points discord.py's REST client elsewhere (a
proxy, or the test suite's fake Discord).
"""

from __future__ import annotations

import logging

import discord
import discord.http

from bot.adapters.discord.commands import GoliveTree, register
from bot.adapters.discord.publisher import DiscordPublisher
from bot.adapters.discord.respond import Responder
from bot.services.context import Services

log = logging.getLogger(__name__)


def use_api_url(url: str) -> None:
    """Every discord.py REST route (bot and interaction webhooks) is built on ``Route.BASE``."""
    discord.http.Route.BASE = url.rstrip("/")


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class GoliveBot(discord.Client):
    def __init__(self, services: Services, *, sync_on_start: bool = True) -> None:
        use_api_url(services.settings.discord_api_url)
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())
        self.services = services
        self.sync_on_start = sync_on_start
        self.publisher = DiscordPublisher(self)
        self.tree = GoliveTree(self)
        register(self.tree, Responder(services, self.publisher))

    async def setup_hook(self) -> None:
        self.services.announcements.register(self.publisher)
        if self.sync_on_start:
            await self.sync_commands()

    async def guild_ids(self) -> list[int]:
        configured = list(self.services.settings.discord_guilds)
        if configured:
            return configured
        return [guild.id async for guild in self.fetch_guilds(limit=None)]

    async def sync_commands(self) -> dict[int, str]:
        """Overwrite golive's commands in each server; one failing server never stops the rest.

        Returns server id -> "N commands" or the error, for ``golive discord sync``."""
        results: dict[int, str] = {}
        for guild_id in await self.guild_ids():
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.HTTPException as exc:
                log.error("could not sync commands in server %s: %s", guild_id, exc.text)
                results[guild_id] = f"failed: {exc.text or exc.status}"
            else:
                results[guild_id] = f"{len(synced)} commands"
        return results

    async def close(self) -> None:
        if self.services.announcements.publishers.get("discord") is self.publisher:
            del self.services.announcements.publishers["discord"]
        await super().close()


async def start(services: Services) -> GoliveBot:
    """Log in (which syncs the commands) and connect to the gateway in the background."""
    assert services.settings.discord_bot_token is not None
    bot = GoliveBot(services)
    await bot.login(services.settings.discord_bot_token.get_secret_value())
    bot.gateway_task = bot.loop.create_task(bot.connect(), name="discord-gateway")  # type: ignore[attr-defined]
    return bot


async def sync(services: Services) -> dict[int, str]:
    """``golive discord sync``: log in over REST, sync every server, log out."""
    assert services.settings.discord_bot_token is not None
    bot = GoliveBot(services, sync_on_start=False)
    try:
        await bot.login(services.settings.discord_bot_token.get_secret_value())
        return await bot.sync_commands()
    finally:
        await bot.close()
