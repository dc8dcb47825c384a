"""The golive Discord bot: a ``discord.Client`` with golive's command tree.

Intents are the minimum: ``guilds`` only (the server and role cache for role names); no
message content, members or presences, none of the privileged intents. Commands are synced
per server on start (``DISCORD_GUILD_IDS``, or every server the bot is in) and by
``golive discord sync``. ``DISCORD_API_URL`` points discord.py's REST client elsewhere (a
proxy, or the test suite's fake Discord).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import discord
import discord.gateway
import discord.http
import yarl

from bot.adapters.discord.chat import ChatModeration, DiscordChatTarget
from bot.adapters.discord.commands import GoliveTree, register
from bot.adapters.discord.events import DiscordCalendar, DiscordReminders, on_remind_button
from bot.adapters.discord.notify import DiscordNotifier
from bot.adapters.discord.publisher import DiscordPublisher
from bot.adapters.discord.respond import Responder
from bot.services.context import Services

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"


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
        # golive never joins voice: discord.py's "voice will NOT be supported" is noise here.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())
        self.services = services
        self.sync_on_start = sync_on_start
        self.publisher = DiscordPublisher(self)
        self.tree = GoliveTree(self)
        register(self.tree, Responder(services, self.publisher))
        #: relayed live chat goes into broadcast threads through this; its selects land in
        #: ``on_interaction``
        self.relay_target = DiscordChatTarget(self)
        self.chat_moderation = ChatModeration(services)

    async def setup_hook(self) -> None:
        self.services.announcements.register(self.publisher)
        self.services.events.register(DiscordCalendar(self))
        self.services.optins.register(DiscordReminders(self))
        self.services.chat.register(self.relay_target)
        self.services.health.add_notifier(DiscordNotifier(self, self.services))
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

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Components that are not links: "Remind me" buttons and the relayed chat's
        moderation selects (commands go through the tree)."""
        if await on_remind_button(self.services, interaction):
            return
        await self.chat_moderation.on_interaction(interaction)

    async def on_ready(self) -> None:
        log.info("Discord: connected as %s in %d server(s)", self.user, len(self.guilds))
        self.services.health.report_chat("discord", "connected")

    async def on_resumed(self) -> None:
        self.services.health.report_chat("discord", "connected")

    async def on_disconnect(self) -> None:
        # discord.py reconnects by itself; /healthz says so meanwhile
        self.services.health.report_chat("discord", "reconnecting")

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A server that invites the bot later gets the commands without a restart."""
        configured = self.services.settings.discord_guilds
        if configured and guild.id not in configured:
            return
        self.tree.copy_global_to(guild=guild)
        try:
            await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.error("could not sync commands in new server %s: %s", guild.id, exc.text)

    async def close(self) -> None:
        if self.services.announcements.publishers.get("discord") is self.publisher:
            del self.services.announcements.publishers["discord"]
        for registry in (self.services.events.calendars, self.services.optins.messengers):
            if getattr(registry.get("discord"), "client", None) is self:
                del registry["discord"]
        if self.services.chat.relay.targets.get("discord") is self.relay_target:
            self.services.chat.unregister("discord")
        await super().close()


async def start(services: Services) -> GoliveBot:
    """Log in (which syncs the commands) and connect to the gateway in the background.

    With ``GOLIVE_DISCORD_GATEWAY=off`` the bot only logs in: this process posts to Discord
    (announcements, reminders, relayed chat, events) over REST, while the one process with the
    gateway receives the commands and clicks (one bot token holds one gateway session)."""
    assert services.settings.discord_bot_token is not None
    gateway = services.settings.discord_gateway
    bot = GoliveBot(services, sync_on_start=gateway)
    try:
        await bot.login(services.settings.discord_bot_token.get_secret_value())
        if services.settings.discord_api_url.rstrip("/") != DISCORD_API:
            # Another API (a proxy, a test double) serves its own gateway: ask it where, as
            # Discord documents (GET /gateway/bot), instead of discord.py's built-in address.
            _, url, _ = await bot.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    except BaseException:
        await bot.close()
        raise
    if not gateway:
        log.info("Discord: posting over REST only (GOLIVE_DISCORD_GATEWAY=off)")
        services.health.report_chat("discord", "REST only (GOLIVE_DISCORD_GATEWAY=off)")
        return bot
    services.health.report_chat("discord", "connecting")
    task = bot.loop.create_task(bot.connect(), name="discord-gateway")
    task.add_done_callback(lambda ended: _gateway_ended(services, ended))
    bot.gateway_task = task  # type: ignore[attr-defined]
    return bot


@dataclass(frozen=True)
class Target:
    workspace: str
    channel_name: str
    changed: bool


async def announce_in(services: Services, channel_id: int, *, remove: bool = False) -> Target:
    """``golive discord announce``: make a channel an announce target of its server's workspace.

    The channel is looked up on Discord first, so a typo or a channel the bot cannot see is
    refused instead of stored."""
    assert services.settings.discord_bot_token is not None
    bot = GoliveBot(services, sync_on_start=False)
    try:
        await bot.login(services.settings.discord_bot_token.get_secret_value())
        channel = await bot.http.get_channel(channel_id)
    finally:
        await bot.close()
    guild_id = channel.get("guild_id")
    if guild_id is None:
        raise ValueError(f"channel {channel_id} is not in a Discord server")
    workspace = services.settings.discord_workspace(int(str(guild_id)))
    board = services.announcements
    change = board.remove_target if remove else board.add_target
    changed = await change(workspace, "discord", str(channel_id), user="golive discord announce")
    return Target(workspace, str(channel.get("name") or channel_id), changed)


def _gateway_ended(services: Services, task: asyncio.Task[None]) -> None:
    """discord.py gave up (a fatal close such as a bad token or disallowed intents) or was
    closed: say so in /healthz instead of "reconnecting" for ever."""
    if task.cancelled() or task.exception() is None:
        services.health.report_chat("discord", "closed")
        return
    failure = task.exception()
    log.error("the Discord gateway connection ended", exc_info=failure)
    services.health.report_chat("discord", f"stopped ({type(failure).__name__})")


async def sync(services: Services) -> dict[int, str]:
    """``golive discord sync``: log in over REST, sync every server, log out."""
    assert services.settings.discord_bot_token is not None
    bot = GoliveBot(services, sync_on_start=False)
    try:
        await bot.login(services.settings.discord_bot_token.get_secret_value())
        return await bot.sync_commands()
    finally:
        await bot.close()
