"""The ``golive`` command line (also ``python -m bot``), as fixed by the architecture page."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from cryptography.fernet import Fernet

from bot.services.context import Services
from bot.settings import Settings, SettingsError, load_settings
from storage.vault import rotate_all, unreadable_secrets


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="golive", description="Go live and meet everywhere.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="web server and chat adapters")
    console = sub.add_parser("console", help="the local shell adapter")
    console.add_argument("--sandbox", action="store_true", help="use local platform emulators")
    db = sub.add_parser("db", help="database")
    db.add_argument("action", choices=["upgrade", "status"])
    keys = sub.add_parser("keys", help="encryption keys")
    keys.add_argument("action", choices=["rotate", "generate"])
    connect = sub.add_parser("connect", help="print a sign-in link for a platform")
    connect.add_argument("platform")
    sub.add_parser("doctor", help="check configuration, database and stored secrets")
    token = sub.add_parser("token", help="personal API tokens for /api/")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("name", nargs="?", help="e.g. website-cms")
    token.add_argument("--scope", choices=["read", "read-write"], default="read")
    sub.add_parser("manifest", help="print the Slack app manifest")
    discord = sub.add_parser("discord", help="Discord bot")
    discord.add_argument(
        "action",
        choices=["sync", "announce"],
        help="sync: the slash commands per server; announce: post announcements in CHANNEL",
    )
    discord.add_argument("channel", nargs="?", type=int, help="channel id (for announce)")
    discord.add_argument("--remove", action="store_true", help="stop announcing in CHANNEL")
    return parser


async def _console(settings: Settings, sandbox: bool) -> int:
    from bot.adapters.console import shell

    services = await Services.start(settings, sandbox=sandbox)
    try:
        await services.relay.start()  # only when GOLIVE_RELAY_PORT is set
        return await shell.run(services)
    finally:
        await services.close()


async def _serve(settings: Settings) -> int:
    from aiohttp import web

    from bot.web import create_app

    services = await Services.start(settings)
    for notice in services.notices:
        logging.getLogger("golive").warning(notice)
    # The scheduler runs from the start, so chat belongs to its leader from the first command
    # on; the leader resumes live chat once both chats can be posted to (ready below).
    services.chat.ready = False
    await services.scheduler.start()
    slack = socket = None
    if settings.slack_bot_token or settings.slack_client_id:
        from bot.adapters.slack.app import SlackAdapter

        slack = SlackAdapter(services)
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket = AsyncSocketModeHandler(slack.app, settings.slack_app_token.get_secret_value())
            await socket.connect_async()
            logging.getLogger("golive").info("Slack: Socket Mode connected")
            services.health.probe_chat("slack", _socket_mode_probe(socket))
        else:
            services.health.report_chat("slack", "HTTP (events at /slack/events)")
    await services.relay.start()  # the RTMP ingest, when GOLIVE_RELAY_PORT is set
    runner = web.AppRunner(create_app(services, None if socket else slack))
    await runner.setup()
    site = web.TCPSite(runner, "0.0.0.0", settings.port)  # noqa: S104 - a server is meant to listen
    await site.start()
    logging.getLogger("golive").info(
        "listening on port %s (%s)", settings.port, settings.public_url
    )
    bot = await _start_discord(services)
    services.chat.ready = True
    try:
        await asyncio.Event().wait()
    finally:
        if socket is not None:
            await socket.close_async()
        if slack is not None:
            await slack.close()
        if bot is not None:
            await bot.close()
        await runner.cleanup()
        await services.close()
    return 0


def _socket_mode_probe(socket: Any) -> Callable[[], Awaitable[str]]:
    async def probe() -> str:
        connected = await socket.client.is_connected()
        return "connected (Socket Mode)" if connected else "reconnecting (Socket Mode)"

    return probe


async def _start_discord(services: Services):
    """The Discord bot in this event loop when DISCORD_BOT_TOKEN is set; a bad token is logged."""
    if services.settings.discord_bot_token is None:
        return None
    import discord

    from bot.adapters.discord import client

    try:
        return await client.start(services)
    except (discord.DiscordException, OSError) as exc:
        logging.getLogger("golive").error("Discord bot not started: %s", exc)
        return None


async def _discord(
    settings: Settings, action: str, channel: int | None = None, remove: bool = False
) -> int:
    if settings.discord_bot_token is None:
        print("golive: set DISCORD_BOT_TOKEN first (see docs/discord.md).", file=sys.stderr)
        return 2
    if action == "announce":
        return await _discord_announce(settings, channel, remove)
    import discord

    from bot.adapters.discord import client

    services = await Services.start(settings)
    try:
        results = await client.sync(services)
    except (discord.LoginFailure, discord.HTTPException, OSError) as exc:
        print(f"golive: Discord refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await services.close()
    if not results:
        print("The bot is in no Discord server yet: invite it first (docs/discord.md).")
        return 1
    for guild_id, outcome in results.items():
        print(f"server {guild_id}: {outcome}")
    return 1 if any(o.startswith("failed") for o in results.values()) else 0


async def _discord_announce(settings: Settings, channel: int | None, remove: bool) -> int:
    if channel is None:
        print("golive: say which channel: golive discord announce CHANNEL_ID", file=sys.stderr)
        return 2
    import discord

    from bot.adapters.discord import client

    services = await Services.start(settings)
    try:
        target = await client.announce_in(services, channel, remove=remove)
    except (discord.HTTPException, ValueError) as exc:
        print(f"golive: cannot use channel {channel}: {exc}", file=sys.stderr)
        return 1
    finally:
        await services.close()
    if remove:
        verb = "no longer announces" if target.changed else "was not announcing"
    else:
        verb = "announces" if target.changed else "already announces"
    print(f"workspace {target.workspace} {verb} in #{target.channel_name} ({channel})")
    return 0


async def _db(settings: Settings, action: str) -> int:
    services = await Services.start(settings)
    try:
        current, head = await services.db.revision()
        print(f"database at revision {current} (latest {head})")
    finally:
        await services.close()
    return 0


async def _rotate(settings: Settings) -> int:
    services = await Services.start(settings)
    try:
        async with services.db.transaction() as session:
            count = await rotate_all(session, services.vault)
        print(
            f"re-encrypted {count} stored secrets under the first key of {services.vault.key_count}"
        )
    finally:
        await services.close()
    return 0


async def _connect(settings: Settings, platform: str) -> int:
    from providers import platforms

    if platform not in platforms():
        print(
            f"Unknown platform '{platform}'. Choose from: {', '.join(platforms())}.",
            file=sys.stderr,
        )
        return 2
    services = await Services.start(settings)
    try:
        link = await services.connections.begin(settings.workspace, "cli", platform)
        print(f"Open within 10 minutes: {link}")
    finally:
        await services.close()
    return 0


async def _token(settings: Settings, action: str, name: str | None, scope: str) -> int:
    from bot.services.errors import ServiceError

    if action != "list" and not name:
        print(f"golive: say which token: golive token {action} NAME", file=sys.stderr)
        return 2
    services = await Services.start(settings)
    tokens = services.tokens
    try:
        if action == "create":
            assert name is not None
            secret, info = await tokens.create(settings.workspace, name, scope, user="cli")
            print(f"API token {info.name} ({info.scope}); shown only now, store it safely:")
            print(secret)
        elif action == "revoke":
            assert name is not None
            done = await tokens.revoke(settings.workspace, name, user="cli")
            print(f"revoked {name}" if done else f"no token named {name}")
            return 0 if done else 1
        else:
            for info in await tokens.list(settings.workspace):
                used = f"{info.last_used_at:%Y-%m-%d %H:%M} UTC" if info.last_used_at else "never"
                print(f"{info.name}  {info.scope}  created {info.created_at:%Y-%m-%d}  used {used}")
    except ServiceError as exc:
        print(f"golive: {exc}", file=sys.stderr)
        return 1
    finally:
        await services.close()
    return 0


async def _doctor(settings: Settings) -> int:
    problems = 0
    services = await Services.start(settings)
    try:
        current, head = await services.db.revision()
        print(f"database: {services.db!r}, revision {current} (latest {head})")
        print(f"vault: {services.vault.key_count} key(s) from {services.vault.source.description}")
        async with services.db.transaction() as session:
            unreadable = await unreadable_secrets(session, services.vault)
        for item in unreadable:
            problems += 1
            print(f"problem: {item} cannot be decrypted with any configured key")
        chat = "configured" if settings.chat_configured else "not configured (console only)"
        print(f"chat credentials: {chat}")
        print("healthy" if not problems else f"{problems} problem(s)")
    finally:
        await services.close()
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"golive: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("discord").setLevel(logging.WARNING)
    command = args.command
    try:
        if command is None:
            if settings.chat_configured:
                return asyncio.run(_serve(settings))
            return asyncio.run(_console(settings, sandbox=True))
        if command == "console":
            return asyncio.run(_console(settings, sandbox=args.sandbox))
        if command == "serve":
            return asyncio.run(_serve(settings))
        if command == "db":
            return asyncio.run(_db(settings, args.action))
        if command == "keys" and args.action == "generate":
            print(Fernet.generate_key().decode())
            return 0
        if command == "keys":
            return asyncio.run(_rotate(settings))
        if command == "connect":
            return asyncio.run(_connect(settings, args.platform))
        if command == "doctor":
            return asyncio.run(_doctor(settings))
        if command == "token":
            return asyncio.run(_token(settings, args.action, args.name, args.scope))
        if command == "discord":
            return asyncio.run(_discord(settings, args.action, args.channel, args.remove))
        if command == "manifest":
            from bot.adapters.slack.manifest import render

            print(render(settings), end="")
            return 0
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:  # configuration problems found while starting (keys, URLs)
        print(f"golive: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
