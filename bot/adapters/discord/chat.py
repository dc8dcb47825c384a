"""Relayed live chat in a broadcast's Discord thread, and moderating it from there.

Posting: each batch is one ``POST /channels/{thread id}/messages`` through discord.py's REST
client (its per-route buckets and 429 handling apply; the relay's courier already keeps to one
post per 1.05 s per channel, under Discord's 5 per 5 s), content at most 2,000 characters,
``allowed_mentions: {"parse": []}`` and embeds suppressed (discord.com/developers/docs/
resources/message#create-message).

Moderating (developers/docs/components/reference#string-select): under each batch a string
select lists its lines (25 options per select, at most 5 action rows, ``custom_id`` and
option values at most 100 characters, labels at most 100). Choosing a line answers privately
with a second select holding only the actions that line's platform offers
(what its connected provider can do, :meth:`ModerationService.capabilities`; the batch
lists only lines whose platform offers something, :func:`bot.chat.moderation.actions_for`);
choosing one carries it out through the moderation
service and posts the result in the thread ("deleted on YouTube by @ana"). Only admins and
moderators (:mod:`bot.adapters.discord.roles`) get the second select; anyone else is refused
privately. The select's value is the line's stable id, so a click after a restart finds the
line in the chat store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord

from bot.adapters.discord.roles import Role, role_of
from bot.chat import escape
from bot.chat.model import ChatLine
from bot.chat.moderation import Action, ModerationService, actions_for
from bot.chat.relay import Batch, DiscordRelayTarget, tag
from bot.services.context import Services

log = logging.getLogger(__name__)

LINE_SELECT = "golive:chat:"  # + the select's number in its message
ACTION_SELECT = "golive:chatact:"  # + the line id
MAX_OPTIONS = 25
MAX_ROWS = 5
MAX_LABEL = 100
REFUSAL = "Only moderators and admins can moderate chat."
GONE = "That chat line is no longer known to golive; nothing was done."


def option_label(line: ChatLine) -> str:
    """Plain text (select labels render no markdown or mentions), cut to Discord's 100."""
    text = f"{tag(line.platform)} · {escape.clean(line.author_name, 40)}: {escape.clean(line.text)}"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def line_selects(batch: Batch, offered: Callable[[str], list[Action]]) -> list[dict[str, Any]]:
    """Action rows of string selects over the batch's lines that can be moderated."""
    lines = [line for line in batch.lines if offered(line.platform)]
    rows = []
    for n, start in enumerate(range(0, min(len(lines), MAX_OPTIONS * MAX_ROWS), MAX_OPTIONS)):
        chunk = lines[start : start + MAX_OPTIONS]
        rows.append(
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": f"{LINE_SELECT}{n}",
                        "placeholder": "Moderate a line…",
                        "min_values": 1,
                        "max_values": 1,
                        "options": [
                            {"label": option_label(line), "value": line.id} for line in chunk
                        ],
                    }
                ],
            }
        )
    return rows


class DiscordChatTarget(DiscordRelayTarget):
    """The relay's Discord target: the shared payload plus the moderation selects."""

    def __init__(
        self, client: discord.Client, offered: Callable[[str], list[Action]] = actions_for
    ) -> None:
        super().__init__(self._send)
        self.client = client
        self.offered = offered

    def payload(self, batch: Batch) -> dict[str, Any]:
        body = super().payload(batch)
        rows = line_selects(batch, self.offered)
        if rows:
            body["components"] = rows
        return body

    async def _send(self, thread_id: str, payload: dict[str, Any]) -> None:
        route = discord.http.Route(
            "POST", "/channels/{channel_id}/messages", channel_id=int(thread_id)
        )
        await self.client.http.request(route, json=payload)


class ActionSelect(discord.ui.Select):
    """The private second step: what to do with one line."""

    def __init__(self, chat: ChatModeration, line: ChatLine, actions: list[Action]) -> None:
        super().__init__(
            custom_id=f"{ACTION_SELECT}{line.id}",
            placeholder="Choose an action",
            options=[discord.SelectOption(label=a.label, value=a.name) for a in actions],
        )
        self.chat = chat
        self.line = line

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.chat.act(interaction, self.line.id, self.values[0])


class ChatModeration:
    """Answers the selects of relayed chat (``on_interaction`` of the golive bot)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def moderation(self) -> ModerationService:
        return self.services.chat.moderation

    def role(self, interaction: discord.Interaction) -> Role | None:
        return role_of(interaction, self.services.settings)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if custom_id.startswith(LINE_SELECT):
            values = (interaction.data or {}).get("values") or [""]
            await self.choose_line(interaction, str(values[0]))

    async def choose_line(self, interaction: discord.Interaction, line_id: str) -> None:
        if self.role(interaction) is None:
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        line = await self.moderation.find(line_id)
        if line is None:
            await interaction.response.send_message(GONE, ephemeral=True)
            return
        workspace = self.services.settings.discord_workspace(interaction.guild_id)
        # what the connected platform can do now, which the line's menu promised by its class
        actions = await self.moderation.capabilities(workspace, line.broadcast_id, line.platform)
        if not actions:
            await interaction.response.send_message(
                f"{tag(line.platform)} offers no moderation to golive.", ephemeral=True
            )
            return
        view = discord.ui.View(timeout=600)
        view.add_item(ActionSelect(self, line, actions))
        text = f"**[{tag(line.platform)}]** {escape.discord(line.author_name, 80)}: " + (
            escape.discord(line.text, 300)
        )
        await interaction.response.send_message(
            text, view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    async def act(self, interaction: discord.Interaction, line_id: str, action: str) -> None:
        role = self.role(interaction)
        await interaction.response.defer(ephemeral=True, thinking=False)
        workspace = self.services.settings.discord_workspace(interaction.guild_id)
        said = await self.moderation.act(
            workspace,
            line_id,
            action,
            actor=f"discord:{interaction.user.id}",
            actor_name=f"<@{interaction.user.id}>",
            role=role.value if role is not None else "member",
        )
        await interaction.edit_original_response(content=said, view=None)
        if role is None:
            return  # a refusal stays private; results are for everyone in the thread
        channel = interaction.channel_id
        if channel is None:
            return
        try:
            route = discord.http.Route(
                "POST", "/channels/{channel_id}/messages", channel_id=int(channel)
            )
            await interaction.client.http.request(
                route, json={"content": said, "allowed_mentions": {"parse": []}}
            )
        except discord.HTTPException as exc:
            log.warning("could not post the moderation result in %s: %s", channel, exc.status)
