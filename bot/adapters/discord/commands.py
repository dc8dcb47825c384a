"""``/golive``, ``/meet`` and ``/platforms`` on discord.py's ``app_commands.CommandTree``.

Each command takes typed options and writes them as golive's command text
(:mod:`bot.adapters.discord.options`), so Discord, Slack and the console share one grammar
and one set of error sentences. ``/golive`` or ``/meet`` with no options opens the long form
(a modal). Every interaction is answered within Discord's 3 seconds: refusals and the form at
once, everything else deferred and followed up (:mod:`bot.adapters.discord.respond`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import discord
from discord import app_commands

from bot.adapters.discord import forms
from bot.adapters.discord.options import (
    CreateOptions,
    action_text,
    complete_list,
    create_text,
    edit_text,
)
from bot.adapters.discord.respond import Responder
from bot.adapters.discord.roles import REFUSAL, Role, role_of
from bot.commands import CommandError
from providers import platforms as registered
from providers.base import AuthStyle, Kind

log = logging.getLogger(__name__)

AUTOCOMPLETE_BUDGET = 2.0  # seconds; Discord discards autocomplete answers after 3


class GoliveTree(app_commands.CommandTree):
    """Refuses members who are neither admins nor moderators before any command runs."""

    responder: Responder

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if role_of(interaction, self.responder.services.settings) is not None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await self.responder.refuse(interaction, REFUSAL)
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("Discord command failed", exc_info=error)
        sentence = "Something unexpected went wrong; the details are in golive's log."
        try:
            if interaction.response.is_done():
                await interaction.edit_original_response(content=sentence)
            else:
                await interaction.response.send_message(sentence, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the member about the failure")


async def ready_platforms(responder: Responder, workspace: str, kind: Kind) -> list[str]:
    """Platforms of this kind golive can use now: connected, or needing no account."""
    connections = responder.services.connections
    names = registered(kind)
    try:
        views = await asyncio.wait_for(connections.list(workspace), AUTOCOMPLETE_BUDGET)
    except TimeoutError:
        return names
    connected = {v.platform for v in views if v.status == "connected"}
    ready = []
    for name in names:
        style = connections.style(name)
        if (
            name in connected
            or style is AuthStyle.NONE
            or (style is AuthStyle.CLIENT_CREDENTIALS and connections.app_configured(name))
        ):
            ready.append(name)
    return ready


GoliveAction = Literal[
    "start", "stop", "status", "report", "edit", "cancel", "moderation", "list", "help"
]


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=v, value=v) for v in values[:25]]


def register(tree: GoliveTree, responder: Responder) -> None:
    tree.responder = responder
    settings = responder.services.settings

    def workspace(interaction: discord.Interaction) -> str:
        return settings.discord_workspace(interaction.guild_id)

    def completer(kind: Kind):
        async def platforms(interaction: discord.Interaction, current: str):
            ready = await ready_platforms(responder, workspace(interaction), kind)
            return _choices(complete_list(current, ready))

        async def primary(interaction: discord.Interaction, current: str):
            chosen = getattr(interaction.namespace, "platforms", None) or ""
            known = registered(kind)
            names = [p.strip().lower() for p in chosen.split(",") if p.strip().lower() in known]
            if not names:
                names = await ready_platforms(responder, workspace(interaction), kind)
            return _choices([n for n in names if n.startswith(current.strip().lower())])

        return platforms, primary

    async def open_form(interaction: discord.Interaction, kind: str) -> None:
        if role_of(interaction, settings) is not Role.ADMIN and kind == "golive":
            await responder.refuse(interaction, "Only golive admins can create broadcasts.")
            return
        form = forms.BroadcastForm(responder) if kind == "golive" else forms.MeetingForm(responder)
        await interaction.response.send_modal(form)

    @tree.command(name="golive", description="Go live on several platforms at once")
    @app_commands.describe(
        action=(
            "start, stop, status, report, edit, cancel, moderation, list or help (empty: create)"
        ),
        title="Broadcast title (up to 100 characters)",
        platforms="Comma-separated platforms, e.g. youtube,twitch",
        primary="The platform to highlight first",
        at="Start time, e.g. 2026-12-24 18:00 Europe/Berlin (empty: now)",
        record="Keep a recording where the platform can",
        chat="Relay the platforms' live chat into a thread",
        item_id="Broadcast ID for start, stop, status, report, edit or cancel (empty: the latest)",
        details="For moderation: help, rules … (e.g. rules banned scamcoin) or nothing",
    )
    @app_commands.rename(item_id="id")
    async def golive(
        interaction: discord.Interaction,
        action: GoliveAction | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
        platforms: str | None = None,
        primary: str | None = None,
        at: str | None = None,
        record: bool = False,
        chat: bool = False,
        item_id: app_commands.Range[str, 1, 64] | None = None,
        details: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        options = CreateOptions(title, platforms, primary, at, None, record, chat=chat)
        if action is None and not options.given() and not item_id:
            await open_form(interaction, "golive")
            return
        try:
            if action == "edit":
                text = edit_text(item_id, options, "golive")
            elif action:
                text = action_text(action, item_id, details)
            else:
                text = create_text("golive", options)
        except CommandError as exc:
            await responder.run(interaction, "golive", None, error=exc.message)
            return
        await responder.run(interaction, "golive", text)

    @tree.command(name="meet", description="Create a meeting on several platforms at once")
    @app_commands.describe(
        action="edit, cancel, list or help (leave empty to create)",
        title="Meeting title (up to 100 characters)",
        platforms="Comma-separated platforms, e.g. jitsi,zoom",
        primary="The platform to highlight first",
        at="Start time, e.g. 2026-12-24 18:00 Europe/Berlin (empty: now)",
        duration="Length in minutes (default 60)",
        record="Record where the platform can",
        invite="Members to invite privately, e.g. @ana @ben",
        item_id="Meeting ID for edit or cancel",
    )
    @app_commands.rename(invite="with", item_id="id")
    async def meet(
        interaction: discord.Interaction,
        action: Literal["edit", "cancel", "list", "help"] | None = None,
        title: app_commands.Range[str, 1, 100] | None = None,
        platforms: str | None = None,
        primary: str | None = None,
        at: str | None = None,
        duration: app_commands.Range[int, 1, 1440] | None = None,
        record: bool = False,
        invite: str | None = None,
        item_id: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        options = CreateOptions(title, platforms, primary, at, duration, record, invite)
        if action is None and not options.given() and not item_id:
            await open_form(interaction, "meet")
            return
        try:
            if action == "edit":
                text = edit_text(item_id, options)
            elif action:
                text = action_text(action, item_id)
            else:
                text = create_text("meet", options)
        except CommandError as exc:
            await responder.run(interaction, "meet", None, error=exc.message)
            return
        await responder.run(interaction, "meet", text)

    @tree.command(name="platforms", description="Platform connections and their status")
    @app_commands.describe(
        action="list (default), connect, disconnect, notify, api-token or help",
        platform="The platform to connect or disconnect",
        details=(
            "connect: stream URL and key · notify: expired off, channel #ops, dm · api-token: list"
        ),
    )
    async def platforms_command(
        interaction: discord.Interaction,
        action: Literal["list", "connect", "disconnect", "notify", "api-token", "help"] = "list",
        platform: str | None = None,
        details: str | None = None,
    ) -> None:
        text = " ".join(part for part in (action, platform, details) if part)
        await responder.run(interaction, "platforms", text)

    live_platforms, live_primary = completer(Kind.LIVESTREAM)
    meet_platforms, meet_primary = completer(Kind.MEETING)
    golive.autocomplete("platforms")(live_platforms)
    golive.autocomplete("primary")(live_primary)
    meet.autocomplete("platforms")(meet_platforms)
    meet.autocomplete("primary")(meet_primary)

    @platforms_command.autocomplete("platform")
    async def any_platform(interaction: discord.Interaction, current: str):
        return _choices([n for n in registered() if n.startswith(current.strip().lower())])
