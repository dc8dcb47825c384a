"""Live chat moderation in the sandbox emulators: delete a message, ban, time out, unban.

Each class hangs off the chat emulation of one platform (:mod:`providers.sandbox.chat`) and
changes what that chat serves afterwards: a deleted message is gone from later reads, and a
banned author's later messages are refused (:class:`ChatRefused` from the chat's ``inject``).
One module per platform, each citing the pages it models: :mod:`.youtube`, :mod:`.facebook`,
:mod:`.twitch`.
"""

from __future__ import annotations

from providers.sandbox.moderation.facebook import FacebookModeration
from providers.sandbox.moderation.twitch import TwitchModeration
from providers.sandbox.moderation.youtube import LIVE_CHAT_MODERATION, YouTubeChatModeration


class ChatRefused(Exception):
    """The platform does not take this viewer's message (the author is banned)."""


__all__ = [
    "LIVE_CHAT_MODERATION",
    "ChatRefused",
    "FacebookModeration",
    "TwitchModeration",
    "YouTubeChatModeration",
]
