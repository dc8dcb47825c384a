"""The long forms: ``/golive`` and ``/meet`` with no options open a modal.

A modal holds at most five text inputs (developers/docs/components/reference#text-input), so
the rarer choices (primary, record) share one "more" input written in the command grammar
itself: ``primary youtube record``. The submission becomes the same command text as the typed
options, plus the description only the form can carry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord.options import CreateOptions, create_text
from bot.commands import CommandError

if TYPE_CHECKING:
    from bot.adapters.discord.respond import Responder


def _value(item: discord.ui.TextInput[Any]) -> str | None:
    return item.value.strip() or None


class BroadcastForm(discord.ui.Modal, title="Go live"):
    name: discord.ui.TextInput[BroadcastForm] = discord.ui.TextInput(label="Title", max_length=100)
    about: discord.ui.TextInput[BroadcastForm] = discord.ui.TextInput(
        label="Description", style=discord.TextStyle.paragraph, required=False, max_length=4000
    )
    platforms: discord.ui.TextInput[BroadcastForm] = discord.ui.TextInput(
        label="Platforms", placeholder="youtube,twitch"
    )
    when: discord.ui.TextInput[BroadcastForm] = discord.ui.TextInput(
        label="Start (empty: now)", required=False, placeholder="2026-12-24 18:00 Europe/Berlin"
    )
    more: discord.ui.TextInput[BroadcastForm] = discord.ui.TextInput(
        label="More (optional)", required=False, placeholder="primary youtube record"
    )

    def __init__(self, responder: Responder) -> None:
        super().__init__()
        self.responder = responder

    async def on_submit(self, interaction: discord.Interaction) -> None:
        options = CreateOptions(
            title=_value(self.name), platforms=_value(self.platforms), at=_value(self.when)
        )
        try:
            text = create_text("golive", options)
        except CommandError as exc:
            await self.responder.run(interaction, "golive", None, error=exc.message)
            return
        if _value(self.more):
            text = f"{text} {' '.join(self.more.value.split())}"
        await self.responder.run(interaction, "golive", text, description=self.about.value.strip())


class MeetingForm(discord.ui.Modal, title="New meeting"):
    name: discord.ui.TextInput[MeetingForm] = discord.ui.TextInput(label="Title", max_length=100)
    platforms: discord.ui.TextInput[MeetingForm] = discord.ui.TextInput(
        label="Platforms", placeholder="jitsi,zoom"
    )
    when: discord.ui.TextInput[MeetingForm] = discord.ui.TextInput(
        label="Start (empty: now)", required=False, placeholder="2026-12-24 18:00 Europe/Berlin"
    )
    duration: discord.ui.TextInput[MeetingForm] = discord.ui.TextInput(
        label="Length in minutes (default 60)", required=False, max_length=4
    )
    invite: discord.ui.TextInput[MeetingForm] = discord.ui.TextInput(
        label="Invite (optional)", required=False, placeholder="@ana @ben"
    )

    def __init__(self, responder: Responder) -> None:
        super().__init__()
        self.responder = responder

    async def on_submit(self, interaction: discord.Interaction) -> None:
        minutes = _value(self.duration)
        try:
            if minutes is not None and not minutes.isdigit():
                raise CommandError(f"The length is in minutes, e.g. 45, not '{minutes[:10]}'.")
            options = CreateOptions(
                title=_value(self.name),
                platforms=_value(self.platforms),
                at=_value(self.when),
                duration=int(minutes) if minutes else None,
                invite=_value(self.invite),
            )
            text = create_text("meet", options)
        except CommandError as exc:
            await self.responder.run(interaction, "meet", None, error=exc.message)
            return
        await self.responder.run(interaction, "meet", text)
