"""Starting and stopping a broadcast's chat collectors, one task per platform.

:func:`collector_for` turns a connected provider and its stored :class:`BroadcastHandle` into
the platform's collector (or ``None`` where golive does not read that platform's chat yet);
:class:`ChatCollection` runs them, hands every newly stored line to one callback (the relay),
and stops them when the broadcast ends. A collector that fails stops alone; the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.chat.collector import CollectorRunner, OnLines, _ignore
from bot.chat.facebook import FacebookCollector
from bot.chat.instagram import InstagramCollector
from bot.chat.restream import RestreamCollector
from bot.chat.store import ChatStore
from bot.chat.twitch import TwitchCollector
from bot.chat.youtube import YouTubeCollector
from providers.base import BroadcastHandle
from providers.chat.facebook import FacebookCommentsClient
from providers.chat.instagram import InstagramCommentsClient
from providers.chat.restream import WS_URL as RESTREAM_WS_URL
from providers.chat.restream import RestreamChatSocket
from providers.chat.twitch import WS_URL, EventSubChat
from providers.chat.youtube import YouTubeChatClient

log = logging.getLogger(__name__)

TWITCH_API = "https://api.twitch.tv/helix"
RESTREAM_API = "https://api.restream.io/v2"


def restream_chat_url(api_url: str) -> str:
    """Restream's chat socket; an emulated Restream serves it next to its API at ``/ws``."""
    if api_url.rstrip("/") == RESTREAM_API:
        return RESTREAM_WS_URL
    base = api_url.rstrip("/").removesuffix("/v2")
    return base.replace("https://", "wss://").replace("http://", "ws://") + "/ws"


def eventsub_url(api_url: str) -> str:
    """Twitch's EventSub socket; an emulated Helix serves it next to itself at ``/ws``."""
    if api_url.rstrip("/") == TWITCH_API:
        return WS_URL
    base = api_url.rstrip("/").removesuffix("/helix")
    return base.replace("https://", "wss://").replace("http://", "ws://") + "/ws"


def collector_for(
    platform: str, provider: Any, handle: BroadcastHandle, broadcast_id: str
) -> Any | None:
    if platform == "youtube" and handle.data.get("live_chat_id"):
        client = YouTubeChatClient(provider.http)
        return YouTubeCollector(client, broadcast_id, handle.data["live_chat_id"])
    if platform == "facebook" and handle.remote_id:
        client = FacebookCommentsClient(provider, handle.data.get("page_id"))
        return FacebookCollector(client, broadcast_id, handle.remote_id)
    if platform == "twitch" and handle.remote_id:
        chat = EventSubChat(
            provider.http,
            handle.remote_id,
            handle.remote_id,
            ws_url=eventsub_url(provider.http.base_url),
        )
        return TwitchCollector(chat, broadcast_id)
    if platform == "instagram":
        # read through the Facebook connection (``provider`` is the Facebook provider here):
        # the Instagram account linked to its Page, GOLIVE_FACEBOOK_INSTAGRAM_USER_ID
        ig_user_id = provider.config.options.get("instagram_user_id")
        if not ig_user_id:
            return None
        return InstagramCollector(InstagramCommentsClient(provider, ig_user_id), broadcast_id)
    if platform == "restream":
        socket = RestreamChatSocket(
            provider.http.token.token, ws_url=restream_chat_url(provider.http.base_url)
        )
        return RestreamCollector(socket, broadcast_id)
    return None


@dataclass
class ChatCollection:
    """The running collectors of every broadcast with chat relay on."""

    store: ChatStore
    on_lines: OnLines = _ignore
    _running: dict[str, tuple[asyncio.Event, list[asyncio.Task[None]]]] = field(
        default_factory=dict, repr=False
    )

    def running(self, broadcast_id: str) -> bool:
        return broadcast_id in self._running

    def start(self, broadcast_id: str, collectors: list[Any]) -> None:
        if broadcast_id in self._running:
            return
        self._running[broadcast_id] = (asyncio.Event(), [])
        self.add(broadcast_id, collectors)

    def add(self, broadcast_id: str, collectors: list[Any]) -> None:
        """More collectors for a running broadcast (a platform that went live later)."""
        stop, tasks = self._running[broadcast_id]
        tasks.extend(
            asyncio.create_task(self._run(c, stop), name=f"chat:{c.platform}:{broadcast_id}")
            for c in collectors
        )

    async def _run(self, collector: Any, stop: asyncio.Event) -> None:
        try:
            if isinstance(collector, TwitchCollector | RestreamCollector):  # push: no pages
                await collector.run(self.store, stop, self.on_lines)
            else:
                await CollectorRunner(self.store, collector, on_lines=self.on_lines).run(stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one platform failing must not end the others
            log.warning("%s chat collector stopped: %s", collector.platform, type(exc).__name__)

    async def stop(self, broadcast_id: str, *, grace: float = 5.0) -> None:
        entry = self._running.pop(broadcast_id, None)
        if entry is None:
            return
        stop, tasks = entry
        stop.set()
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        for broadcast_id in list(self._running):
            await self.stop(broadcast_id)
