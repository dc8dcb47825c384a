"""Live chat moderation in the sandbox emulators: delete a message, ban, time out, unban.

Each class hangs off the chat emulation of one platform (:mod:`providers.sandbox.chat`) and
changes what that chat serves afterwards: a deleted message is gone from later reads, and a
banned author's later messages are refused (:class:`ChatRefused` from the chat's ``inject``).

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

Facebook, modelled on:
- https://developers.facebook.com/docs/graph-api/reference/comment ("Deleting": ``DELETE
  /{comment-id}`` with a Page token of a Page the comment is on, ``pages_manage_engagement``,
  answering ``{"success": true}``; "Updating": ``POST /{comment-id}`` with ``is_hidden``);
- https://developers.facebook.com/docs/graph-api/reference/page/blocked (``POST`` and
  ``DELETE /{page-id}/blocked`` with a Page token; ``user``, ``uid``, ``asid`` or ``psid``
  lists of ids, as facebook-business 26.0.3 ``Page.create_blocked`` declares them; the create
  answers a map of id to ``true``, the delete ``{"success": true}``);
- https://developers.facebook.com/docs/graph-api/guides/error-handling (the error envelope:
  code 100 for a missing or bad parameter or object, 200 for a missing permission).
The Page's ``MODERATE`` task is required for blocking too (the page is silent on the
permission; a Page token alone is what it names).

Twitch, modelled on:
- https://dev.twitch.tv/docs/api/reference/#delete-chat-messages (``DELETE
  /helix/moderation/chat?broadcaster_id=&moderator_id=&message_id=``, scope
  ``moderator:manage:chat_messages``, 204; 404 for a message that is unknown or older than six
  hours; 400 for a message of the broadcaster or another moderator; 403 when the token's
  user is not one of the broadcaster's moderators; ``moderator_id`` must be the token's
  user);
- https://dev.twitch.tv/docs/api/reference/#ban-user (``POST
  /helix/moderation/bans?broadcaster_id=&moderator_id=`` with ``{"data": {"user_id",
  "duration", "reason"}}``, scope ``moderator:manage:banned_users``; ``duration`` 1 to
  1,209,600 seconds makes a time-out, no ``duration`` a ban; 400 when the user is already
  banned, "you can ban a user that's already in a timeout but you can't move a banned user
  into a timeout"; answer ``data[]`` with ``broadcaster_id``, ``moderator_id``, ``user_id``,
  ``created_at``, ``end_time``);
- https://dev.twitch.tv/docs/api/reference/#unban-user (``DELETE
  /helix/moderation/bans?broadcaster_id=&moderator_id=&user_id=``, 204; 400 "user is not
  banned");
- errors in Helix's ``{"error", "status", "message"}`` shape; 401 for a missing scope.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from providers.sandbox.youtube import _WRITE_SCOPES, GoogleError, Method, Param, _rfc3339

if TYPE_CHECKING:
    from providers.sandbox.chat import FacebookComments, TwitchChat, YouTubeChat
    from providers.sandbox.oauth import TokenRecord


class ChatRefused(Exception):
    """The platform does not take this viewer's message (the author is banned)."""


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


# -- Facebook -----------------------------------------------------------------------------------


class FacebookModeration:
    """Comment delete and hide, and Page blocks, of one Facebook emulator."""

    #: the permission comment moderation needs (the comment reference, "Deleting")
    PERMISSION = "pages_manage_engagement"

    def __init__(self, comments: FacebookComments) -> None:
        self.comments = comments
        #: page id -> blocked user ids
        self.blocked: dict[str, set[str]] = {}
        self.deleted: set[str] = set()

    def __repr__(self) -> str:
        return f"FacebookModeration(deleted={len(self.deleted)})"

    def is_blocked(self, page_id: str, user_id: str) -> bool:
        return user_id in self.blocked.get(page_id, set())

    def find(self, comment_id: str) -> tuple[str, dict[str, Any]] | None:
        for video_id, items in self.comments.comments.items():
            for comment in items:
                if comment["id"] == comment_id and comment_id not in self.deleted:
                    return video_id, comment
        return None

    def _check_page_token(self, page_id: str | None, owner: str, scopes: Iterable[str]) -> None:
        from providers.sandbox.facebook import GraphError

        if page_id != owner:
            raise GraphError(
                "(#200) The Page access token of the Page the comment is on is required", 200
            )
        if self.PERMISSION not in set(scopes):
            raise GraphError(
                f"(#200) Requires {self.PERMISSION} permission to manage the object", 200
            )

    def comment_node(
        self,
        method: str,
        comment_id: str,
        page_id: str | None,
        scopes: Iterable[str],
        params: dict[str, str],
    ) -> dict[str, Any]:
        from providers.sandbox.facebook import GraphError

        found = self.find(comment_id)
        assert found is not None  # the route checked
        video_id, comment = found
        owner = self.comments.emulator.videos[video_id].page_id
        self._check_page_token(page_id, owner, scopes)
        if method == "DELETE":
            self.comments.emulator.requests["comment.delete"] += 1
            self.deleted.add(comment_id)
            return {"success": True}
        if method == "POST":
            self.comments.emulator.requests["comment.update"] += 1
            unknown = sorted(set(params) - {"is_hidden", "message", "access_token"})
            if unknown:
                raise GraphError(f"(#100) Param {unknown[0]} is not a valid parameter", 100)
            if "is_hidden" in params:
                if params["is_hidden"] not in ("true", "false", "1", "0"):
                    raise GraphError("(#100) Param is_hidden must be a boolean", 100)
                comment["is_hidden"] = params["is_hidden"] in ("true", "1")
            return {"success": True}
        raise GraphError(f"(#100) Unsupported method {method} on a comment", 100)

    def blocked_edge(
        self, method: str, page: str, page_id: str | None, tasks: Iterable[str], params: dict
    ) -> dict[str, Any]:
        from providers.sandbox.facebook import GraphError

        if page_id != page:
            raise GraphError("(#210) A page access token is required for this edge", 210)
        if "MODERATE" not in set(tasks):
            raise GraphError("(#200) The user must be able to perform the MODERATE task", 200)
        unknown = sorted(set(params) - {"user", "uid", "asid", "psid", "access_token"})
        if unknown:
            raise GraphError(f"(#100) Param {unknown[0]} is not a valid parameter", 100)
        ids = [i for name in ("user", "uid", "asid", "psid") for i in _id_list(params.get(name))]
        if not ids:
            raise GraphError("(#100) One of user, uid, asid or psid is required", 100)
        blocked = self.blocked.setdefault(page, set())
        if method == "POST":
            self.comments.emulator.requests["page.block"] += 1
            blocked.update(ids)
            return {i: True for i in ids}
        if method == "DELETE":
            self.comments.emulator.requests["page.unblock"] += 1
            blocked.difference_update(ids)
            return {"success": True}
        raise GraphError(f"(#100) Unsupported method {method} on the blocked edge", 100)


def _id_list(raw: str | None) -> list[str]:
    """Graph takes a list as a JSON array or as comma-separated ids."""
    import json

    from providers.sandbox.facebook import GraphError

    if not raw:
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            raise GraphError("(#100) The list of ids is not valid JSON", 100) from None
    else:
        items = text.split(",")
    ids = [str(i).strip() for i in items if str(i).strip()]
    if not all(i.isdigit() for i in ids):
        raise GraphError("(#100) Param user must be a list of ids", 100)
    return ids


# -- Twitch -------------------------------------------------------------------------------------

MAX_TIMEOUT = 1_209_600  # two weeks
MESSAGE_MAX_AGE = timedelta(hours=6)


@dataclass
class TwitchBan:
    user_id: str
    moderator_id: str
    created_at: datetime
    end_time: datetime | None  # None: a ban, not a time-out
    reason: str = ""


class TwitchModeration:
    """Delete chat messages and ban, time out and unban users in one Twitch emulator."""

    def __init__(self, chat: TwitchChat) -> None:
        self.chat = chat
        #: broadcaster id -> user id -> ban
        self.bans: dict[str, dict[str, TwitchBan]] = {}
        #: message id -> (broadcaster id, chatter id, badges, sent at), for delete
        self.messages: dict[str, tuple[str, str, tuple[str, ...], datetime]] = {}
        self.deleted: set[str] = set()
        #: broadcaster id -> user ids the broadcaster made moderators (test hook)
        self.moderators: dict[str, set[str]] = {}
        #: (method, path, query, JSON body) of every moderation request that arrived
        self.received: list[tuple[str, str, dict[str, str], Any]] = []

    def __repr__(self) -> str:
        return f"TwitchModeration(bans={sum(len(b) for b in self.bans.values())})"

    def mount(self, app: web.Application) -> None:
        emulator = self.chat.emulator
        for method, handler in (
            ("DELETE", self._delete_message),
            ("POST", self._ban),
            ("DELETE", self._unban),
        ):
            path = "moderation/chat" if handler == self._delete_message else "moderation/bans"
            app.router.add_route(method, f"/helix/{path}", emulator._wrap(method, path, handler))

    def active_ban(self, broadcaster: str, user_id: str) -> TwitchBan | None:
        ban = self.bans.get(broadcaster, {}).get(user_id)
        now = datetime.fromtimestamp(self.chat.emulator.clock(), UTC)
        if ban is not None and ban.end_time is not None and ban.end_time <= now:
            del self.bans[broadcaster][user_id]  # the time-out ran out
            return None
        return ban

    async def _record(self, request: web.Request) -> None:
        body = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = await request.text()
        self.received.append((request.method, request.path, dict(request.query), body))

    def _ids(self, request: web.Request, token: Any, extra: dict[str, bool]) -> dict[str, str]:
        from providers.sandbox.twitch import HelixError

        values = self.chat.emulator._query(
            request, {"broadcaster_id": False, "moderator_id": False, **extra}
        )
        out = {k: v[0] for k, v in values.items()}
        for name in ("broadcaster_id", "moderator_id"):
            if not out.get(name):
                raise HelixError(400, f'Missing required parameter "{name}"')
        if out["moderator_id"] != token.subject:
            raise HelixError(
                401,
                "The ID in moderator_id must match the user ID found in the request's OAuth token.",
            )
        broadcaster = out["broadcaster_id"]
        if broadcaster not in self.chat.emulator.channels:
            raise HelixError(400, "The broadcaster_id query parameter is not valid")
        is_mod = token.subject == broadcaster or token.subject in self.moderators.get(
            broadcaster, set()
        )
        if not is_mod:
            raise HelixError(
                403, "The user in moderator_id is not one of the broadcaster's moderators."
            )
        return out

    async def _delete_message(self, request: web.Request, token: Any) -> web.StreamResponse:
        from providers.sandbox.twitch import HelixError

        await self._record(request)
        self.chat.emulator._scope(token, "moderator:manage:chat_messages")
        out = self._ids(request, token, {"message_id": False})
        message_id = out.get("message_id")
        if not message_id:
            raise HelixError(400, "This emulator does not clear the whole chat: give message_id")
        known = self.messages.get(message_id)
        now = datetime.fromtimestamp(self.chat.emulator.clock(), UTC)
        if (
            known is None
            or known[0] != out["broadcaster_id"]
            or message_id in self.deleted
            or now - known[3] > MESSAGE_MAX_AGE
        ):
            raise HelixError(
                404,
                "The ID in message_id was not found or the message was created more than six "
                "hours ago.",
            )
        _, chatter, badges, _ = known
        if chatter == out["broadcaster_id"] or "broadcaster" in badges:
            raise HelixError(400, "You may not delete the broadcaster's messages.")
        if "moderator" in badges:
            raise HelixError(400, "You may not delete another moderator's messages.")
        self.deleted.add(message_id)
        return web.Response(status=204)

    async def _ban(self, request: web.Request, token: Any) -> web.StreamResponse:
        from providers.sandbox.twitch import HelixError

        await self._record(request)
        self.chat.emulator._scope(token, "moderator:manage:banned_users")
        out = self._ids(request, token, {})
        try:
            body = await request.json()
        except ValueError:
            raise HelixError(400, "The request body is not valid JSON") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or set(body) - {"data"}:
            raise HelixError(400, 'The body must be {"data": {...}}')
        unknown = sorted(set(data) - {"user_id", "duration", "reason"})
        if unknown:
            raise HelixError(400, f"The field {unknown[0]!r} is not supported")
        user_id = str(data.get("user_id") or "")
        if not user_id:
            raise HelixError(400, 'Missing required field "user_id"')
        duration = data.get("duration")
        if duration is not None:
            if isinstance(duration, bool) or not isinstance(duration, int | str):
                raise HelixError(400, "The value in the duration field is not valid")
            try:
                duration = int(duration)
            except ValueError:
                raise HelixError(400, "The value in the duration field is not valid") from None
            if not 1 <= duration <= MAX_TIMEOUT:
                raise HelixError(400, "The value in the duration field is not valid")
        reason = str(data.get("reason") or "")
        if len(reason) > 500:
            raise HelixError(400, "The text in the reason field is too long")
        broadcaster = out["broadcaster_id"]
        if user_id == broadcaster or user_id in self.moderators.get(broadcaster, set()):
            raise HelixError(400, "The user specified in the user_id field may not be banned.")
        earlier = self.active_ban(broadcaster, user_id)
        if earlier is not None and earlier.end_time is None:
            raise HelixError(400, "The user specified in the user_id field is already banned.")
        now = datetime.fromtimestamp(self.chat.emulator.clock(), UTC)
        end = None if duration is None else now + timedelta(seconds=duration)
        ban = TwitchBan(user_id, token.subject, now, end, reason)
        self.bans.setdefault(broadcaster, {})[user_id] = ban
        return web.json_response(
            {
                "data": [
                    {
                        "broadcaster_id": broadcaster,
                        "moderator_id": token.subject,
                        "user_id": user_id,
                        "created_at": _stamp(now),
                        "end_time": _stamp(end) if end else None,
                    }
                ]
            }
        )

    async def _unban(self, request: web.Request, token: Any) -> web.StreamResponse:
        from providers.sandbox.twitch import HelixError

        await self._record(request)
        self.chat.emulator._scope(token, "moderator:manage:banned_users")
        out = self._ids(request, token, {"user_id": False})
        user_id = out.get("user_id")
        if not user_id:
            raise HelixError(400, 'Missing required parameter "user_id"')
        if self.active_ban(out["broadcaster_id"], user_id) is None:
            raise HelixError(400, "The user specified in the user_id field is not banned.")
        del self.bans[out["broadcaster_id"]][user_id]
        return web.Response(status=204)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
