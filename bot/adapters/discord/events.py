"""Discord's side of scheduling: guild scheduled events, the "Remind me" button, reminder DMs.

Guild scheduled events follow discord/discord-api-docs resources/guild-scheduled-event.mdx: an
EXTERNAL event (``entity_type`` 3) has no channel, needs ``entity_metadata.location`` (at most
100 characters: golive puts the primary platform's link there) and a ``scheduled_end_time``;
``privacy_level`` is 2 (GUILD_ONLY); PATCH moves it and DELETE removes it. Discord itself makes
an external event ACTIVE at its scheduled start and COMPLETED at its scheduled end ("Guild
Scheduled Event Status Update Automation"), so golive reads the status (GET) before changing
it: a broadcast that starts early makes it ACTIVE, one that runs long moves its end, and the
end of the broadcast makes it COMPLETED. All of them need the bot's Manage Events permission;
without it Discord answers 403 (code 50013) and golive says so to the admin, once per change,
while the announcement itself is posted as usual.

Private reminders open a DM channel (``POST /users/@me/channels``) and post in it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import discord

from bot.adapters.discord.render import post_text
from bot.services.context import Services
from bot.services.events import CalendarRefused, EventDetails
from bot.services.optins import confirmation

log = logging.getLogger(__name__)

EXTERNAL = 3
GUILD_ONLY = 2
#: event statuses; Discord allows SCHEDULED -> ACTIVE | CANCELED and ACTIVE -> COMPLETED only
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
#: custom_id prefix of the "Remind me" button: ``golive_remind:{kind}:{item id}``
REMIND = "golive_remind"
MISSING_PERMISSIONS = 50013


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class DiscordCalendar:
    chat = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._guilds: dict[str, str | None] = {}

    async def scope_of(self, channel: str) -> str | None:
        if channel not in self._guilds:
            data = await self.client.http.get_channel(int(channel))
            guild = data.get("guild_id")
            self._guilds[channel] = str(guild) if guild else None
        return self._guilds[channel]

    async def place(self, scope: str, details: EventDetails, event_id: str | None) -> str:
        payload = {
            "name": details.name,
            "description": details.description,
            "scheduled_start_time": _iso(details.start),
            "scheduled_end_time": _iso(details.end),
            "entity_metadata": {"location": details.location},
            "privacy_level": GUILD_ONLY,
        }
        try:
            if event_id is not None:
                try:
                    await self.client.http.edit_scheduled_event(
                        int(scope), int(event_id), **payload
                    )
                    return event_id
                except discord.NotFound:
                    log.info("event %s was removed in Discord; golive adds it again", event_id)
            made = await self.client.http.create_guild_scheduled_event(
                int(scope), entity_type=EXTERNAL, **payload
            )
        except discord.Forbidden as exc:
            if exc.code == MISSING_PERMISSIONS:
                raise CalendarRefused(
                    f"Discord server {scope}: the event was not added because golive's bot lacks "
                    "the Manage Events permission; grant it (Server Settings → Roles) and edit "
                    "the item again. The announcement was posted."
                ) from exc
            raise
        return str(made["id"])

    async def remove(self, scope: str, event_id: str) -> None:
        try:
            await self.client.http.delete_scheduled_event(int(scope), int(event_id))
        except discord.NotFound:
            log.info("event %s was already removed in Discord", event_id)

    async def _event(self, scope: str, event_id: str) -> dict | None:
        """The event as it is now (Discord changes its status by itself at the scheduled
        times), or None when it was removed in Discord."""
        try:
            return await self.client.http.get_scheduled_event(int(scope), int(event_id), False)
        except discord.NotFound:
            log.info("event %s was removed in Discord", event_id)
            return None

    async def going(self, scope: str, event_id: str, end: datetime) -> None:
        event = await self._event(scope, event_id)
        if event is None or int(event["status"]) not in (SCHEDULED, ACTIVE):
            return  # COMPLETED or CANCELED can no longer change
        change: dict[str, object] = {}
        planned = event.get("scheduled_end_time")
        if planned is None or datetime.fromisoformat(planned) < end:
            change["scheduled_end_time"] = _iso(end)  # never earlier than planned
        if int(event["status"]) == SCHEDULED:  # started before its time
            change["status"] = ACTIVE
        if change:
            await self.client.http.edit_scheduled_event(int(scope), int(event_id), **change)

    async def over(self, scope: str, event_id: str) -> None:
        event = await self._event(scope, event_id)
        status = None if event is None else int(event["status"])
        if status == ACTIVE:
            await self.client.http.edit_scheduled_event(int(scope), int(event_id), status=COMPLETED)
        elif status == SCHEDULED:  # it never became active: nothing is coming any more
            await self.client.http.edit_scheduled_event(int(scope), int(event_id), status=CANCELED)


class DiscordReminders:
    """Private reminders for members who pressed "Remind me"."""

    chat = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def remind(self, workspace: str, user_id: str, text: str) -> None:
        dm = await self.client.http.start_private_message(int(user_id))
        await self.client.get_partial_messageable(int(dm["id"])).send(post_text(text))


async def on_remind_button(services: Services, interaction: discord.Interaction) -> bool:
    """Toggle the member's opt-in; True when the interaction was a "Remind me" press."""
    data = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if interaction.type is not discord.InteractionType.component or not custom_id.startswith(
        REMIND + ":"
    ):
        return False
    _, kind, item_id = [*custom_id.split(":", 2), "", ""][:3]
    workspace = services.settings.discord_workspace(interaction.guild_id)
    on = await services.optins.toggle(workspace, kind, item_id, "discord", str(interaction.user.id))
    await interaction.response.send_message(confirmation(kind, on), ephemeral=True)
    return True
