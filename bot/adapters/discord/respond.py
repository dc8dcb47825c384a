"""One interaction's life: answer within Discord's 3 seconds, then do the work.

Discord drops an interaction that is not answered within 3 s; its token then stays valid for
15 minutes (developers/docs/interactions/receiving-and-responding). So golive defers at once
(privately, "golive is thinking…"), edits that private message as each platform answers,
ends it with the reply's private lines, and sends the reply's public posts as follow-ups.
The announcement itself is posted in the channel by the announcement service, like every
other copy, so later state changes edit it in place.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

import discord

from bot import handlers
from bot.adapters.discord import render
from bot.adapters.discord.publisher import DiscordPublisher, attachments
from bot.adapters.discord.roles import REFUSAL, Role, role_of
from bot.commands import CommandError, CreateBroadcast
from bot.handlers import Reply, Requester
from bot.messages import display, explain
from bot.services.context import Services
from bot.services.errors import ServiceError
from bot.views import Announcement
from providers.errors import PlatformError

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@!?(\d+)>")
_PROGRESS_MARKS = {"live": "●", "ended": "■", "failed": "✗", "cancelled": "⊘"}


class ProgressNote:
    """The deferred private message, rewritten as platforms report (bot.services.progress)."""

    def __init__(self, interaction: discord.Interaction, heading: str) -> None:
        self.interaction = interaction
        self.heading = heading
        self.lines: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def __call__(self, platform: str, state: str, note: str | None) -> None:
        mark = _PROGRESS_MARKS.get(state, "…" if state.endswith("ing") else "✓")
        line = f"{mark} {display(platform)} {state}"
        self.lines[platform] = f"{line} — {note}" if note else line
        async with self._lock:
            text = "\n".join([self.heading, *self.lines.values()])
            await self.interaction.edit_original_response(content=render.post_text(text))


class Responder:
    def __init__(self, services: Services, publisher: DiscordPublisher) -> None:
        self.services = services
        self.publisher = publisher

    def requester(self, interaction: discord.Interaction, role: Role) -> Requester:
        settings = self.services.settings
        return Requester(
            workspace=settings.discord_workspace(interaction.guild_id),
            user_id=str(interaction.user.id),
            timezone=settings.timezone,
            is_admin=role is Role.ADMIN,
            chat="discord",
            channel=str(interaction.channel_id) if interaction.channel_id else None,
        )

    async def refuse(self, interaction: discord.Interaction, sentence: str) -> None:
        await interaction.response.send_message(render.post_text(sentence), ephemeral=True)

    async def run(
        self,
        interaction: discord.Interaction,
        command: str,
        text: str | None,
        *,
        description: str = "",
        error: str | None = None,
    ) -> None:
        """Defer, run the command text through the shared handlers, report back.

        ``error`` is an options problem found before any text could be written; it is still
        answered after the deferral, like every other refusal."""
        role = role_of(interaction, self.services.settings)
        if role is None:  # the tree's check refuses earlier; this guards modal submissions
            await self.refuse(interaction, REFUSAL)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        who = self.requester(interaction, role)
        # /platforms text may hold a stream key: it is never echoed, not even privately.
        shown = text if command != "platforms" else None
        progress = ProgressNote(interaction, f"/{command} {shown or ''}".strip()[:200])
        if error is not None or text is None:
            reply = Reply.error(error or "That command is incomplete.")
        else:
            reply = await execute(self.services, who, command, text, description, progress)
        await self.deliver(interaction, reply)

    async def deliver(self, interaction: discord.Interaction, reply: Reply) -> None:
        failed_dms = []
        for person, text in reply.direct:
            match = _MENTION.fullmatch(person)
            try:
                if match is None:
                    raise ValueError(person)
                await self.publisher.direct(int(match.group(1)), text)
            except Exception:  # a closed DM never hides the rest of the reply
                log.info("could not send a direct message to %s", person)
                failed_dms.append(person)
        if failed_dms:
            reply.private.append(
                "Could not message privately: "
                + ", ".join(failed_dms)
                + " (mention members, and they must accept direct messages from this server)."
            )
        await interaction.edit_original_response(content=render.private_text(reply))
        files = reply.files  # the charts go with the first text post (a report has one)
        for post in reply.posts:
            try:
                if isinstance(post, Announcement):
                    await interaction.followup.send(
                        embed=render.embed(post), view=render.buttons(post)
                    )
                else:
                    await interaction.followup.send(
                        render.post_text(post), files=attachments(files)
                    )
                    files = []
            except discord.HTTPException:
                log.exception("could not send a follow-up post")


async def execute(
    services: Services,
    who: Requester,
    command: str,
    text: str,
    description: str,
    progress: ProgressNote,
) -> Reply:
    """handlers.run, plus the description that only the long form carries."""
    if not description:
        return await handlers.run(services, who, command, text, progress=progress)
    try:
        parsed = handlers.parse(services, who, command, text)
        if isinstance(parsed, CreateBroadcast):
            parsed = dataclasses.replace(parsed, description=description)
        return await handlers.execute(services, who, parsed, progress=progress)
    except CommandError as exc:
        return Reply.error(exc.message)
    except ServiceError as exc:
        return Reply.error(str(exc))
    except PlatformError as exc:
        return Reply.error(explain(exc))
