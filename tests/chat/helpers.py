"""Shared names of the chat tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from providers.base import BroadcastHandle
from providers.chat.youtube import YouTubeChatClient
from providers.http import PlatformHttp
from providers.sandbox.youtube import YouTubeEmulator

#: the golive broadcast id the chat tests store under
BROADCAST = "bc000001"


@dataclass
class LiveYouTube:
    emulator: YouTubeEmulator
    client: YouTubeChatClient
    handle: BroadcastHandle
    http: PlatformHttp

    @property
    def live_chat_id(self) -> str:
        return self.handle.data["live_chat_id"]


async def until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)
