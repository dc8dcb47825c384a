"""YouTube live chat moderation in the sandbox, mounted by the emulated live chat.

YouTube, modelled on:
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages/delete (``DELETE
  /youtube/v3/liveChat/messages?id=``, 204, 20 units; authorized by the channel owner or a
  moderator of the chat; ``forbidden`` (403) without that right, ``modificationNotAllowed``
  (403) for a message of the owner or a moderator, ``liveChatMessageNotFound`` (404));
- https://developers.google.com/youtube/v3/live/docs/liveChatBans, .../insert, .../delete
  (``POST /youtube/v3/liveChat/bans?part=snippet`` with ``snippet.liveChatId``,
  ``snippet.type`` permanent or temporary, ``snippet.bannedUserDetails.channelId`` required
  and ``snippet.banDurationSeconds`` optional, 300 by default for a temporary ban; the answer
  is the ``liveChatBan`` with the ``id`` YouTube assigns; ``DELETE
  /youtube/v3/liveChat/bans?id=`` answers 204; both owner or moderator only, ``forbidden``);
- https://developers.google.com/youtube/v3/determine_quota_cost (50 units for each of
  ``liveChatBans.insert`` and ``.delete``);
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages (``userBannedEvent``
  with ``userBannedDetails.banType``, ``banDurationSeconds`` and ``bannedUserDetails``).
The parameter tables are the discovery document's and are checked against it in the tests.
Where the pages are silent the emulator is strict and says so: banning the chat's owner is
``forbidden``; a ban of someone already banned replaces the earlier ban (whose id then no
longer exists); an unknown ban id is ``liveChatBanNotFound`` (404); ``banDurationSeconds``
on a permanent ban or a duration that is not a positive whole number is ``invalidValue``.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from providers.sandbox.youtube import _WRITE_SCOPES, GoogleError, Method, Param, _rfc3339

if TYPE_CHECKING:
    from providers.sandbox.chat import YouTubeChat
    from providers.sandbox.oauth import TokenRecord


_PART_SNIPPET = Param(required=True, repeated=True)

#: discovery ``youtube.liveChatMessages.delete``, 20 units (the method's description)
LIVE_CHAT_DELETE = Method(
    "youtube.liveChatMessages.delete",
    "DELETE",
    "youtube/v3/liveChat/messages",
    {"id": Param(required=True)},
    (),
    _WRITE_SCOPES,
    20,
)
#: discovery ``youtube.liveChatBans.insert``, 50 units (determine_quota_cost)
LIVE_CHAT_BAN_INSERT = Method(
    "youtube.liveChatBans.insert",
    "POST",
    "youtube/v3/liveChat/bans",
    {"part": _PART_SNIPPET},
    ("snippet",),
    _WRITE_SCOPES,
    50,
    has_body=True,
)
#: discovery ``youtube.liveChatBans.delete``, 50 units (determine_quota_cost)
LIVE_CHAT_BAN_DELETE = Method(
    "youtube.liveChatBans.delete",
    "DELETE",
    "youtube/v3/liveChat/bans",
    {"id": Param(required=True)},
    (),
    _WRITE_SCOPES,
    50,
)
LIVE_CHAT_MODERATION = (LIVE_CHAT_DELETE, LIVE_CHAT_BAN_INSERT, LIVE_CHAT_BAN_DELETE)

DEFAULT_BAN_SECONDS = 300


@dataclass
class YouTubeBan:
    id: str
    chat: str
    channel_id: str
    type: str
    seconds: int | None
    until: float | None  # emulator clock; None: permanent


def _chat_error(status: int, reason: str, message: str, location: str | None = None):
    return GoogleError(status, reason, message, domain="youtube.liveChat", location=location)


class YouTubeChatModeration:
    """``liveChatMessages.delete`` and ``liveChatBans`` of one YouTube emulator's chats."""

    def __init__(self, chat: YouTubeChat) -> None:
        self.chat = chat
        self.deleted: set[str] = set()
        self.bans: dict[str, YouTubeBan] = {}
        #: live chat id -> channel ids the owner made moderators (test hook)
        self.moderators: dict[str, set[str]] = {}
        self._counter = itertools.count(1)

    def __repr__(self) -> str:
        return f"YouTubeChatModeration(deleted={len(self.deleted)}, bans={len(self.bans)})"

    def mount(self, app: web.Application) -> None:
        emulator = self.chat.emulator
        handlers = {
            LIVE_CHAT_DELETE.id: self._delete_message,
            LIVE_CHAT_BAN_INSERT.id: self._ban_insert,
            LIVE_CHAT_BAN_DELETE.id: self._ban_delete,
        }
        for method in LIVE_CHAT_MODERATION:
            route = emulator._wrap(method, handlers[method.id])
            app.router.add_route(method.http_method, "/" + method.path, route)

    # -- test hooks and the chat's questions ---------------------------------------------------

    def add_moderator(self, broadcast_id: str, channel_id: str) -> None:
        self.moderators.setdefault(self.chat.chat_id(broadcast_id), set()).add(channel_id)

    def active_ban(self, chat: str, channel_id: str) -> YouTubeBan | None:
        now = self.chat.emulator.clock()
        for ban_id, ban in list(self.bans.items()):
            if ban.until is not None and ban.until <= now:
                del self.bans[ban_id]  # a temporary ban ran out
                continue
            if ban.chat == chat and ban.channel_id == channel_id:
                return ban
        return None

    def is_banned(self, broadcast_id: str, channel_id: str) -> bool:
        return self.active_ban(self.chat.chat_id(broadcast_id), channel_id) is not None

    # -- the methods ---------------------------------------------------------------------------

    def _broadcast_of(self, chat: str) -> Any:
        return next(
            (
                b
                for b in self.chat.emulator.broadcasts.values()
                if b.snippet.get("liveChatId") == chat
            ),
            None,
        )

    def _may_moderate(self, chat: str, token: TokenRecord) -> bool:
        broadcast = self._broadcast_of(chat)
        owner = broadcast is not None and broadcast.channel_id == token.subject
        return owner or token.subject in self.moderators.get(chat, set())

    async def _delete_message(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        message_id = params["id"]
        found = next(
            (
                (chat, m)
                for chat, items in self.chat.messages.items()
                for m in items
                if m["id"] == message_id
            ),
            None,
        )
        if found is None or message_id in self.deleted:
            raise _chat_error(
                404,
                "liveChatMessageNotFound",
                "The message you are trying to delete cannot be found.",
                "id",
            )
        chat, message = found
        if not self._may_moderate(chat, token):
            raise GoogleError(
                403, "forbidden", "You don't have the permissions required to delete the message."
            )
        author = message.get("authorDetails") or {}
        if author.get("isChatOwner") or author.get("isChatModerator"):
            raise _chat_error(
                403,
                "modificationNotAllowed",
                "The specified liveChatMessage resource cannot be deleted.",
            )
        self.deleted.add(message_id)
        return web.Response(status=204)

    async def _ban_insert(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        body = await self.chat.emulator._body(request, "LiveChatBan")
        snippet = body.get("snippet") or {}
        for path, value in (
            ("snippet.liveChatId", snippet.get("liveChatId")),
            ("snippet.type", snippet.get("type")),
            ("snippet.bannedUserDetails.channelId", _channel_of(snippet)),
        ):
            if not value:
                raise GoogleError(
                    400, "required", f"Required: {path}", location=path, location_type="other"
                )
        kind = snippet["type"]
        if kind not in ("permanent", "temporary"):
            raise _invalid("snippet.type", "The ban type must be permanent or temporary.")
        seconds: int | None = None
        raw = snippet.get("banDurationSeconds")
        if kind == "permanent" and raw is not None:
            raise _invalid("snippet.banDurationSeconds", "A permanent ban has no duration.")
        if kind == "temporary":
            text = str(raw) if raw is not None else str(DEFAULT_BAN_SECONDS)
            if not text.isdigit() or int(text) < 1:
                raise _invalid(
                    "snippet.banDurationSeconds", "The ban duration must be a positive number."
                )
            seconds = int(text)
        chat = snippet["liveChatId"]
        broadcast = self._broadcast_of(chat)
        if broadcast is None:
            raise _chat_error(
                404,
                "liveChatNotFound",
                "The live chat that you are trying to ban a user from cannot be found.",
                "snippet.liveChatId",
            )
        if broadcast.life in ("complete", "revoked"):
            raise _chat_error(403, "liveChatEnded", "The specified live chat is no longer live.")
        if not self._may_moderate(chat, token):
            raise GoogleError(403, "forbidden", "You don't have the permissions to ban users.")
        channel = snippet["bannedUserDetails"]["channelId"]
        if channel == broadcast.channel_id:
            raise GoogleError(403, "forbidden", "The channel owner cannot be banned.")
        earlier = self.active_ban(chat, channel)
        if earlier is not None:
            del self.bans[earlier.id]
        now = self.chat.emulator.clock()
        ban = YouTubeBan(
            id=f"{chat[:12]}.ban{next(self._counter):06d}{secrets.token_urlsafe(6)}",
            chat=chat,
            channel_id=channel,
            type=kind,
            seconds=seconds,
            until=None if seconds is None else now + seconds,
        )
        self.bans[ban.id] = ban
        self._announce(ban, now)
        answer: dict[str, Any] = {
            "liveChatId": chat,
            "type": kind,
            "bannedUserDetails": {"channelId": channel},
        }
        if seconds is not None:
            answer["banDurationSeconds"] = str(seconds)
        return web.json_response(
            {
                "kind": "youtube#liveChatBan",
                "etag": secrets.token_urlsafe(20),
                "id": ban.id,
                "snippet": answer,
            }
        )

    def _announce(self, ban: YouTubeBan, now: float) -> None:
        """The ``userBannedEvent`` every reader of the chat sees next."""
        owner = self._broadcast_of(ban.chat).channel_id
        details: dict[str, Any] = {
            "banType": ban.type,
            "bannedUserDetails": {"channelId": ban.channel_id},
        }
        if ban.seconds is not None:
            details["banDurationSeconds"] = str(ban.seconds)
        self.chat.messages.setdefault(ban.chat, []).append(
            {
                "kind": "youtube#liveChatMessage",
                "etag": secrets.token_urlsafe(20),
                "id": f"LCC.ban{next(self._counter):08d}",
                "snippet": {
                    "type": "userBannedEvent",
                    "liveChatId": ban.chat,
                    "authorChannelId": owner,
                    "publishedAt": _rfc3339(datetime.fromtimestamp(now, UTC)),
                    "hasDisplayContent": True,
                    "displayMessage": "A user was banned.",
                    "userBannedDetails": details,
                },
                "authorDetails": {
                    "channelId": owner,
                    "channelUrl": f"http://www.youtube.com/channel/{owner}",
                    "displayName": "Channel owner",
                    "profileImageUrl": "https://yt3.ggpht.com/sandbox",
                    "isVerified": False,
                    "isChatOwner": True,
                    "isChatSponsor": False,
                    "isChatModerator": False,
                },
            }
        )

    async def _ban_delete(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        ban = self.bans.get(params["id"])
        if ban is not None and self.active_ban(ban.chat, ban.channel_id) is not ban:
            ban = None  # it ran out
        if ban is None:
            raise _chat_error(404, "liveChatBanNotFound", "The ban cannot be found.", "id")
        if not self._may_moderate(ban.chat, token):
            raise GoogleError(403, "forbidden", "The specified ban cannot be removed.")
        del self.bans[ban.id]
        return web.Response(status=204)


def _channel_of(snippet: dict[str, Any]) -> Any:
    return (snippet.get("bannedUserDetails") or {}).get("channelId")


def _invalid(path: str, message: str) -> GoogleError:
    return GoogleError(400, "invalidValue", message, location=path, location_type="other")
