"""The Slack :class:`~bot.services.announcements.Publisher`: post, edit and thread announcements.

An announcement for the channel whose command is still running takes over that command's
progress message (``chat.update``) instead of posting a second message; every other channel
gets ``chat.postMessage``. All edits go through the :class:`Coalescer`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks, uploads
from bot.adapters.slack.progress import Coalescer, current
from bot.views import Announcement

ClientFor = Callable[[str], Awaitable[AsyncWebClient]]


class SlackPublisher:
    chat = "slack"

    def __init__(self, client_for: ClientFor, coalescer: Coalescer) -> None:
        self.client_for = client_for
        self.coalescer = coalescer

    async def post(self, workspace: str, channel: str, announcement: Announcement) -> str:
        client = await self.client_for(workspace)
        running = (current.get() or {}).get(channel)
        if running is not None and running.ts is not None and not running.taken:
            running.taken = True
            running.announcement = announcement
            await self.update(workspace, channel, running.ts, announcement)
            return running.ts
        response = await client.chat_postMessage(
            channel=channel,
            text=blocks.summary(announcement),
            blocks=blocks.announcement(announcement),
            unfurl_links=False,
        )
        return str(response["ts"])

    async def update(
        self, workspace: str, channel: str, message_id: str, announcement: Announcement
    ) -> None:
        client = await self.client_for(workspace)
        await self.coalescer.flush(
            f"{channel}/{message_id}",
            lambda: client.chat_update(
                channel=channel,
                ts=message_id,
                text=blocks.summary(announcement),
                blocks=blocks.announcement(announcement),
            ),
        )

    async def open_thread(self, workspace: str, channel: str, message_id: str, name: str) -> str:
        client = await self.client_for(workspace)
        await client.chat_postMessage(channel=channel, thread_ts=message_id, text=name)
        return message_id

    async def post_files(
        self,
        workspace: str,
        channel: str,
        thread_id: str,
        text: str,
        files: Sequence[tuple[str, bytes]],
    ) -> None:
        """The post-stream report: its text and charts as one reply in the thread."""
        client = await self.client_for(workspace)
        if not files:
            await client.chat_postMessage(
                channel=channel, thread_ts=thread_id, text=blocks.cut(text, 3000)
            )
            return
        await uploads.share(client, channel, text, files, thread_ts=thread_id)
