"""The announcement service's way into Discord channels (``Publisher`` with chat="discord").

Posts and edits go through discord.py's REST client, so Discord's per-route and global rate
limits are honoured by discord.py's own buckets and 429 handling. Channels are addressed by
id alone (no gateway cache needed); Discord snowflakes are global, so the workspace is only
for the log.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Literal

import discord

from bot.adapters.discord import render
from bot.views import Announcement

#: Discord allows 60, 1440, 4320 or 10080 minutes; a day outlives any broadcast
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440


def attachments(files: Sequence[tuple[str, bytes]]) -> list[discord.File]:
    """(file name, bytes) as discord.py files, each one multipart part of the message."""
    return [discord.File(io.BytesIO(data), filename=name) for name, data in files]


class DiscordPublisher:
    chat = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _channel(self, channel: str) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(channel))

    async def post(self, workspace: str, channel: str, announcement: Announcement) -> str:
        sent = await self._channel(channel).send(
            embed=render.embed(announcement), view=render.buttons(announcement)
        )
        return str(sent.id)

    async def update(
        self, workspace: str, channel: str, message_id: str, announcement: Announcement
    ) -> None:
        message = self._channel(channel).get_partial_message(int(message_id))
        await message.edit(embed=render.embed(announcement), view=render.buttons(announcement))

    async def open_thread(self, workspace: str, channel: str, message_id: str, name: str) -> str:
        # PartialMessage.create_thread wants the guild from the cache; the REST call does not.
        thread = await self.client.http.start_thread_with_message(
            int(channel),
            int(message_id),
            name=name[:100] or "live chat",
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )
        return str(thread["id"])

    async def post_files(
        self,
        workspace: str,
        channel: str,
        thread_id: str,
        text: str,
        files: Sequence[tuple[str, bytes]],
    ) -> None:
        """The post-stream report: its text with the charts attached, in the thread.

        A thread is a channel of its own, so the message goes to the thread's id; the files
        travel as ``files[n]`` parts of a multipart body (developers/reference#uploading-files).
        """
        await self._channel(thread_id).send(render.post_text(text), files=attachments(files))

    async def direct(self, user_id: int, text: str) -> None:
        """A private message to one member (meeting invitations)."""
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        await user.send(render.post_text(text))
