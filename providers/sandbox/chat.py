"""Live chat for the sandbox emulators: messages injected by tests, served the platform's way.

Restream (mounted on :class:`providers.sandbox.restream.RestreamEmulator` at ``/ws``),
modelled on https://developers.restream.io/chat/getting-started (``/ws?accessToken=...``,
one way: the server ignores what the client sends), .../chat/actions (``heartbeat`` about
every 45 s, "if not received in 60 seconds consider the connection broken"),
.../chat/connections (``connection_info`` per enabled channel on connect) and .../chat/events
(``event`` actions; ``eventSourceId`` 2 Twitch, 13 YouTube, 20 Facebook Page, 26 LinkedIn...).
The field names inside ``payload`` (``eventIdentifier``, ``eventSourceId``, ``eventTypeId``,
``eventPayload.author.displayName`` / ``.id``, ``eventPayload.text``) follow those pages'
TypeScript interfaces as far as the stored excerpts show them; treat them as unverified.

Twitch (mounted on :class:`providers.sandbox.twitch.TwitchEmulator`): EventSub over WebSocket
with the ``channel.chat.message`` subscription, modelled on:
- https://dev.twitch.tv/docs/eventsub/handling-websocket-events (connect to ``/ws``, optional
  ``keepalive_timeout_seconds`` 10 to 600, a numeric value out of range taken to the nearest
  one; ``session_welcome`` first; subscribe within the keepalive time or the server closes
  with 4003; ``session_keepalive`` after that much silence; ``session_reconnect`` names a
  ``reconnect_url`` whose session keeps the subscriptions; at-least-once delivery: a resent
  notification keeps its ``message_id``);
- https://dev.twitch.tv/docs/eventsub/websocket-reference (message shapes);
- https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription (``POST
  /helix/eventsub/subscriptions``, 202, ``transport.method`` ``websocket`` with the session id,
  409 for a duplicate, a user token whose user is ``condition.user_id``);
- https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage and
  .../eventsub-reference/#channel-chat-message-event (``user:read:chat``; the event's
  ``message_id``, ``chatter_user_id``, ``chatter_user_name``, ``message.text``, ``badges``).
The sandbox may lower :attr:`TwitchChat.min_keepalive` below 10 s so tests run fast.

Facebook (mounted on :class:`providers.sandbox.facebook.FacebookEmulator` as the ``comments``
edge of a live video), modelled on:
- https://developers.facebook.com/docs/graph-api/reference/live-video/comments and
  .../reference/object/comments (``GET /{live-video-id}/comments``; ``filter`` ``toplevel`` or
  ``stream``, ``order`` ``chronological`` or ``reverse_chronological``, ``live_filter``
  ``filter_low_quality`` or ``no_filter``, ``since``; comment fields ``id``, ``message``,
  ``created_time``, ``from{id,name}``; a Page token for a Page's video);
- https://developers.facebook.com/docs/graph-api/results (cursor paging: ``limit``,
  ``after``, ``before``, ``paging.cursors``, ``paging.next`` only when there is more).
The server-sent events stream (``streaming-graph.facebook.com/{id}/live_comments``) is not
emulated: it carries no cursor to resume from, so polling is what can resume without loss.

YouTube (mounted on :class:`providers.sandbox.youtube.YouTubeEmulator`), modelled on:
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages/list (``GET
  /youtube/v3/liveChat/messages``; ``liveChatId`` and ``part`` required; ``maxResults`` 200 to
  2000, default 500; the first request returns some or all of the history, oldest first;
  ``nextPageToken`` names the next page; ``pollingIntervalMillis`` says how long to wait;
  5 quota units a call);
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages (the resource:
  ``snippet.type``, ``displayMessage``, ``textMessageDetails.messageText``, ``publishedAt``,
  ``authorDetails.isChatOwner`` / ``isChatModerator`` / ``isChatSponsor``);
- the method's documented errors: ``liveChatNotFound`` (404), ``liveChatEnded`` (403) and
  ``rateLimitExceeded`` (403, "sent too quickly after the previous request").
The parameter table is the discovery document's (``youtube.liveChatMessages.list``) and is
checked against it in the tests, like the emulator's own table.

Moderation (delete, ban, time-out, unban) lives in :mod:`providers.sandbox.moderation`; it
changes what these chats serve: deleted messages are left out of later reads and a banned
author's messages are refused (``inject`` raises :class:`ChatRefused`).

Where the documentation is silent the emulator is strict: a poll sooner than the
``pollingIntervalMillis`` it last answered is refused with ``rateLimitExceeded``; a page token
it did not issue is refused with ``pageTokenInvalid``. Test hooks: :meth:`YouTubeChat.inject`
posts a message, :meth:`YouTubeChat.generate` a run of them, :attr:`YouTubeChat.overlap`
makes the next page start that many messages early (a redelivery, as after a server failover).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import itertools
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from providers.sandbox.facebook import GraphError
from providers.sandbox.moderation import (
    ChatRefused,
    FacebookModeration,
    TwitchModeration,
    YouTubeChatModeration,
)
from providers.sandbox.youtube import (
    _READ_SCOPES,
    GoogleError,
    Method,
    Param,
    _rfc3339,
)

if TYPE_CHECKING:
    from providers.sandbox.facebook import FacebookEmulator, LiveVideo
    from providers.sandbox.oauth import TokenRecord
    from providers.sandbox.youtube import YouTubeEmulator

#: discovery ``youtube.liveChatMessages.list``; 5 units per call (the method's page)
LIVE_CHAT_LIST = Method(
    "youtube.liveChatMessages.list",
    "GET",
    "youtube/v3/liveChat/messages",
    {
        "hl": Param(),
        "liveChatId": Param(required=True),
        "maxResults": Param(type="integer", minimum=200, maximum=2000),
        "pageToken": Param(),
        "part": Param(required=True, repeated=True),
        "profileImageSize": Param(type="integer", minimum=16, maximum=720),
    },
    ("id", "snippet", "authorDetails"),
    _READ_SCOPES,
    5,
)

DEFAULT_MAX_RESULTS = 500


@dataclass
class ChatAuthor:
    name: str
    channel_id: str = field(default_factory=lambda: "UC" + secrets.token_urlsafe(16)[:22])
    owner: bool = False
    moderator: bool = False
    sponsor: bool = False


class YouTubeChat:
    """The live chats of one YouTube emulator, keyed by ``liveChatId``."""

    def __init__(self, emulator: YouTubeEmulator, *, polling_interval_ms: int = 2000) -> None:
        self.emulator = emulator
        #: what every answer says in ``pollingIntervalMillis``, and what is enforced
        self.polling_interval_ms = polling_interval_ms
        #: the next page starts this many messages before the token's position (then resets)
        self.overlap = 0
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._not_before: dict[tuple[str, str], float] = {}
        self._counter = itertools.count(1)
        #: liveChatMessages.delete and liveChatBans (providers.sandbox.moderation)
        self.moderation = YouTubeChatModeration(self)

    def __repr__(self) -> str:
        return f"YouTubeChat(chats={len(self.messages)})"

    def mount(self, app: web.Application) -> None:
        route = self.emulator._wrap(LIVE_CHAT_LIST, self._list)
        app.router.add_route("GET", "/" + LIVE_CHAT_LIST.path, route)
        self.moderation.mount(app)

    # -- test hooks -----------------------------------------------------------------------------

    def chat_id(self, broadcast_id: str) -> str:
        return str(self.emulator.broadcasts[broadcast_id].snippet["liveChatId"])

    def inject(
        self,
        broadcast_id: str,
        text: str,
        author: ChatAuthor | None = None,
        *,
        published_at: datetime | None = None,
    ) -> str:
        """Post ``text`` to the broadcast's chat; returns the new message id.

        Raises :class:`ChatRefused` while the author is banned from this chat."""
        chat = self.chat_id(broadcast_id)
        author = author or ChatAuthor("Viewer")
        if self.moderation.active_ban(chat, author.channel_id) is not None:
            raise ChatRefused(f"{author.name} is banned from this live chat")
        message_id = f"LCC.{next(self._counter):08d}{secrets.token_urlsafe(6)}"
        moment = published_at or datetime.fromtimestamp(self.emulator.clock(), UTC)
        self.messages.setdefault(chat, []).append(
            {
                "kind": "youtube#liveChatMessage",
                "etag": secrets.token_urlsafe(20),
                "id": message_id,
                "snippet": {
                    "type": "textMessageEvent",
                    "liveChatId": chat,
                    "authorChannelId": author.channel_id,
                    "publishedAt": _rfc3339(moment),
                    "hasDisplayContent": True,
                    "displayMessage": text,
                    "textMessageDetails": {"messageText": text},
                },
                "authorDetails": {
                    "channelId": author.channel_id,
                    "channelUrl": f"http://www.youtube.com/channel/{author.channel_id}",
                    "displayName": author.name,
                    "profileImageUrl": "https://yt3.ggpht.com/sandbox",
                    "isVerified": False,
                    "isChatOwner": author.owner,
                    "isChatSponsor": author.sponsor,
                    "isChatModerator": author.moderator,
                },
            }
        )
        return message_id

    def generate(self, broadcast_id: str, count: int, prefix: str = "message") -> list[str]:
        """``count`` messages from a handful of viewers."""
        viewers = [ChatAuthor(f"Viewer {n}") for n in range(5)]
        return [
            self.inject(broadcast_id, f"{prefix} {n}", viewers[n % len(viewers)])
            for n in range(count)
        ]

    # -- the method -----------------------------------------------------------------------------

    def _token(self, chat: str, offset: int) -> str:
        return base64.urlsafe_b64encode(f"{chat}|{offset}".encode()).decode().rstrip("=")

    def _offset(self, chat: str, token: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            token_chat, offset = raw.rsplit("|", 1)
            value = int(offset)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            value, token_chat = -1, ""
        if token_chat != chat or value < 0:
            raise GoogleError(
                400,
                "pageTokenInvalid",
                "The request specifies an invalid page token.",
                domain="youtube.liveChat",
                location="pageToken",
            )
        return value

    async def _list(
        self, request: web.Request, token: TokenRecord, params: dict[str, Any]
    ) -> web.StreamResponse:
        chat = params["liveChatId"]
        broadcast = next(
            (b for b in self.emulator.broadcasts.values() if b.snippet.get("liveChatId") == chat),
            None,
        )
        if broadcast is None:
            raise GoogleError(
                404,
                "liveChatNotFound",
                "The live chat that you are trying to retrieve cannot be found.",
                domain="youtube.liveChat",
                location="liveChatId",
            )
        if broadcast.life in ("complete", "revoked"):
            raise GoogleError(
                403,
                "liveChatEnded",
                "The specified live chat is no longer live.",
                domain="youtube.liveChat",
            )
        now = self.emulator.clock()
        key = (token.client_id, chat)
        if now < self._not_before.get(key, 0.0):
            raise GoogleError(
                403,
                "rateLimitExceeded",
                "The request was sent too quickly after the previous request.",
                domain="youtube.liveChat",
            )
        messages = self.messages.get(chat, [])
        limit = params.get("maxResults", DEFAULT_MAX_RESULTS)
        if params.get("pageToken"):
            start = self._offset(chat, params["pageToken"])
            start = max(0, min(start, len(messages)) - self.overlap)
        else:  # the first request: the most recent history, oldest first
            start = max(0, len(messages) - limit)
        self.overlap = 0
        page = messages[start : start + limit]
        end = start + len(page)
        page = [m for m in page if m["id"] not in self.moderation.deleted]
        parts = set(params["part"])
        items = [{k: v for k, v in m.items() if k in ("kind", "etag") or k in parts} for m in page]
        self._not_before[key] = now + self.polling_interval_ms / 1000
        body = {
            "kind": "youtube#liveChatMessageListResponse",
            "etag": secrets.token_urlsafe(20),
            "nextPageToken": self._token(chat, end),
            "pollingIntervalMillis": self.polling_interval_ms,
            "pageInfo": {"totalResults": len(messages), "resultsPerPage": len(items)},
            "items": items,
        }
        return web.json_response(body)


#: the comments edge's documented parameters and their allowed values (None: free)
FB_COMMENT_PARAMS: dict[str, frozenset[str] | None] = {
    "filter": frozenset({"toplevel", "stream"}),
    "order": frozenset({"chronological", "reverse_chronological"}),
    "live_filter": frozenset({"filter_low_quality", "no_filter"}),
    "since": None,
    "fields": None,
    "limit": None,
    "after": None,
    "before": None,
    "summary": None,
    "access_token": None,
}
FB_COMMENT_FIELDS = frozenset(
    {"id", "message", "created_time", "from", "from{id,name}", "is_hidden"}
)


def _fan_id(name: str) -> str:
    return "7" + str(int(hashlib.sha256(name.encode()).hexdigest()[:12], 16))[:14]


def _split_fields(raw: str) -> list[str]:
    """Graph's ``fields``: commas separate fields except inside ``{...}`` sub-selections."""
    fields, depth, current = [], 0, ""
    for char in raw:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append(current.strip())
            current = ""
        else:
            current += char
    fields.append(current.strip())
    return [f for f in fields if f]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"c:{offset}".encode()).decode().rstrip("=")


def _uncursor(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text.startswith("c:"):
            return int(text[2:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise GraphError("(#100) The after cursor is not valid", 100)


class FacebookComments:
    """Comments on the live videos of one Facebook emulator."""

    def __init__(self, emulator: FacebookEmulator) -> None:
        self.emulator = emulator
        self.comments: dict[str, list[dict[str, Any]]] = {}
        #: the next page starts this many comments before the cursor (then resets)
        self.overlap = 0
        self._counter = itertools.count(1)
        #: comment delete / hide and Page blocks (providers.sandbox.moderation)
        self.moderation = FacebookModeration(self)

    def __repr__(self) -> str:
        return f"FacebookComments(videos={len(self.comments)})"

    def inject(
        self, video_id: str, message: str, name: str = "Viewer", user_id: str | None = None
    ) -> str:
        """A viewer comments; raises :class:`ChatRefused` when the Page blocked them."""
        video = self.emulator.videos[video_id]
        if self.moderation.is_blocked(video.page_id, user_id or _fan_id(name)):
            raise ChatRefused(f"{name} is blocked from the Page")
        comment_id = f"{video.video_id}_{next(self._counter):015d}"
        self.comments.setdefault(video_id, []).append(
            {
                "id": comment_id,
                "message": message,
                "created_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "from": {"id": user_id or _fan_id(name), "name": name},
                "is_hidden": False,
            }
        )
        return comment_id

    def generate(self, video_id: str, count: int, prefix: str = "comment") -> list[str]:
        return [self.inject(video_id, f"{prefix} {n}", f"Fan {n % 5}") for n in range(count)]

    def read(self, video: LiveVideo, page_id: str | None, params: dict[str, str]) -> dict:
        if page_id != video.page_id:
            raise GraphError(
                "(#200) This live video belongs to a Page: use that Page's access token", 200
            )
        for name, value in params.items():
            if name not in FB_COMMENT_PARAMS:
                raise GraphError(f"(#100) Param {name} is not a valid parameter", 100)
            allowed = FB_COMMENT_PARAMS[name]
            if allowed is not None and value not in allowed:
                raise GraphError(f"(#100) Param {name} must be one of {sorted(allowed)}", 100)
        fields = _split_fields(params.get("fields", "id,message,created_time"))
        for f in fields:
            if f not in FB_COMMENT_FIELDS:
                raise GraphError(f"(#100) Tried accessing nonexisting field ({f})", 100)
        try:
            limit = int(params.get("limit", "25"))
        except ValueError:
            raise GraphError("(#100) Param limit must be an integer", 100) from None
        if not 1 <= limit <= 100:
            raise GraphError("(#100) Param limit must be between 1 and 100", 100)
        items = list(self.comments.get(video.id, []))
        if params.get("order", "chronological") == "reverse_chronological":
            items.reverse()
        start = _uncursor(params["after"]) if params.get("after") else 0
        start = max(0, min(start, len(items)) - self.overlap)
        self.overlap = 0
        page = items[start : start + limit]
        keep = {"from" if f.startswith("from") else f for f in fields} | {"id"}
        # cursors count positions in the full list, so a deletion never shifts them
        shown = [c for c in page if c["id"] not in self.moderation.deleted]
        body: dict[str, Any] = {"data": [{k: v for k, v in c.items() if k in keep} for c in shown]}
        if page:
            end = start + len(page)
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
            if end < len(items):
                body["paging"]["next"] = f"https://graph.facebook.com/{video.id}/comments"
        return body


@dataclass
class _Session:
    id: str
    ws: web.WebSocketResponse
    keepalive: float
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_sent: float = 0.0
    #: where the socket was reached, for the absolute ``reconnect_url``
    origin: str = ""


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TwitchChat:
    """EventSub WebSocket sessions and chat of one Twitch emulator."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        #: the lowest keepalive the server accepts (Twitch: 10 s)
        self.min_keepalive = 10.0
        self.sessions: dict[str, _Session] = {}
        #: resend the next notification once more, same message id (at-least-once delivery)
        self.duplicate_next = False
        self.sent: Counter[str] = Counter()
        #: stop sending keepalives (a connection that hangs without closing)
        self.silent = False
        #: deleting messages and banning users (providers.sandbox.moderation)
        self.moderation = TwitchModeration(self)

    def __repr__(self) -> str:
        return f"TwitchChat(sessions={len(self.sessions)})"

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/ws", self._socket)
        route = self.emulator._wrap("POST", "eventsub/subscriptions", self._subscribe)
        app.router.add_route("POST", "/helix/eventsub/subscriptions", route)
        self.moderation.mount(app)

    # -- test hooks -----------------------------------------------------------------------------

    async def inject(
        self,
        text: str,
        chatter: str = "viewer",
        *,
        broadcaster_id: str | None = None,
        badges: tuple[str, ...] = (),
        chatter_id: str | None = None,
    ) -> str:
        """A viewer writes in the channel's chat; every subscribed session is notified.

        Raises :class:`ChatRefused` while the chatter is banned or timed out: Twitch does
        not deliver their messages."""
        broadcaster = broadcaster_id or self.emulator.channel.user_id
        message_id = secrets.token_hex(16)
        chatter_id = chatter_id or "9" + str(
            int(hashlib.sha256(chatter.encode()).hexdigest()[:10], 16)
        )
        if self.moderation.active_ban(broadcaster, chatter_id) is not None:
            raise ChatRefused(f"{chatter} is banned from this chat")
        self.moderation.messages[message_id] = (
            broadcaster,
            chatter_id,
            tuple(badges),
            datetime.fromtimestamp(self.emulator.clock(), UTC),
        )
        event = {
            "broadcaster_user_id": broadcaster,
            "broadcaster_user_login": "sandbox",
            "broadcaster_user_name": "Sandbox",
            "chatter_user_id": chatter_id,
            "chatter_user_login": chatter.lower(),
            "chatter_user_name": chatter,
            "message_id": message_id,
            "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
            "color": "",
            "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
            "message_type": "text",
        }
        for session in list(self.sessions.values()):
            for sub in session.subscriptions.values():
                if sub["condition"]["broadcaster_user_id"] != broadcaster:
                    continue
                note = {
                    "metadata": {
                        "message_id": secrets.token_hex(16),
                        "message_type": "notification",
                        "message_timestamp": _now_rfc3339(),
                        "subscription_type": sub["type"],
                        "subscription_version": sub["version"],
                    },
                    "payload": {"subscription": sub, "event": event},
                }
                copies = 2 if self.duplicate_next else 1
                for _ in range(copies):
                    await self._send(session, note)
        self.duplicate_next = False
        return message_id

    async def send_reconnect(self) -> None:
        """Every session is told to move to a new URL (Twitch does this before maintenance)."""
        for session in list(self.sessions.values()):
            await self._send(
                session,
                self._envelope(
                    "session_reconnect",
                    {
                        "session": self._session_json(
                            session, reconnect=f"{session.origin}/ws?reconnect={session.id}"
                        )
                    },
                ),
            )

    async def drop_all(self) -> None:
        """The network drops every connection, without a close frame reaching anyone."""
        for session in list(self.sessions.values()):
            await session.ws.close(code=1006)

    # -- the socket -----------------------------------------------------------------------------

    def _envelope(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "metadata": {
                "message_id": secrets.token_hex(16),
                "message_type": kind,
                "message_timestamp": _now_rfc3339(),
            },
            "payload": payload,
        }

    @staticmethod
    def _session_json(session: _Session, reconnect: str | None = None) -> dict[str, Any]:
        return {
            "id": session.id,
            "status": "reconnecting" if reconnect else "connected",
            "connected_at": _now_rfc3339(),
            "keepalive_timeout_seconds": None if reconnect else session.keepalive,
            "reconnect_url": reconnect,
        }

    async def _send(self, session: _Session, message: dict[str, Any]) -> None:
        if session.ws.closed:
            return
        self.sent[message["metadata"]["message_type"]] += 1
        await session.ws.send_json(message)
        session.last_sent = asyncio.get_running_loop().time()

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        raw = request.query.get("keepalive_timeout_seconds")
        keepalive = 10.0
        if raw is not None:
            try:
                keepalive = float(int(raw))
            except ValueError:
                return web.json_response(
                    {"error": "Bad Request", "status": 400, "message": "invalid keepalive"},
                    status=400,
                )
        keepalive = min(600.0, max(self.min_keepalive, keepalive))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        origin = f"{'wss' if request.secure else 'ws'}://{request.host}"
        session = _Session(secrets.token_urlsafe(24), ws, keepalive, origin=origin)
        old = self.sessions.get(request.query.get("reconnect", ""))
        if old is not None:
            session.subscriptions = old.subscriptions
        self.sessions[session.id] = session
        await self._send(
            session, self._envelope("session_welcome", {"session": self._session_json(session)})
        )
        if old is not None:
            self.sessions.pop(old.id, None)
            await old.ws.close()
        loop = asyncio.get_running_loop()
        try:
            while not ws.closed:
                try:
                    message = await ws.receive(timeout=session.keepalive / 2)
                except TimeoutError:
                    message = None
                if message is not None and message.type in (
                    WSMsgType.CLOSE,
                    WSMsgType.CLOSED,
                    WSMsgType.ERROR,
                    WSMsgType.CLOSING,
                ):
                    break
                if message is not None and message.type == WSMsgType.TEXT:
                    await ws.close(code=4001, message=b"client sent inbound traffic")
                    break
                if not session.subscriptions and loop.time() - session.last_sent >= keepalive:
                    await ws.close(code=4003, message=b"connection unused")
                    break
                if not self.silent and loop.time() - session.last_sent >= session.keepalive:
                    await self._send(session, self._envelope("session_keepalive", {}))
        finally:
            if self.sessions.get(session.id) is session:
                del self.sessions[session.id]
        return ws

    async def _subscribe(self, request: web.Request, token: Any) -> web.StreamResponse:
        from providers.sandbox.twitch import HelixError

        try:
            body = await request.json()
        except ValueError:
            raise HelixError(400, "The request body is not valid JSON") from None
        if body.get("type") != "channel.chat.message" or body.get("version") != "1":
            raise HelixError(
                400, "The combination of values in the type and version fields is not valid"
            )
        condition = body.get("condition") or {}
        transport = body.get("transport") or {}
        if not condition.get("broadcaster_user_id") or not condition.get("user_id"):
            raise HelixError(400, "The condition field is missing broadcaster_user_id or user_id")
        if condition["user_id"] != token.subject:
            raise HelixError(403, "The user in condition.user_id must match the token's user")
        if "user:read:chat" not in token.scopes:
            raise HelixError(403, "subscription missing proper authorization")
        if transport.get("method") != "websocket":
            raise HelixError(400, "This emulator serves the websocket transport only")
        session = self.sessions.get(str(transport.get("session_id")))
        if session is None:
            raise HelixError(
                400, "websocket transport session does not exist or has already disconnected"
            )
        for sub in session.subscriptions.values():
            if sub["type"] == body["type"] and sub["condition"] == condition:
                raise HelixError(409, "subscription already exists")
        sub = {
            "id": secrets.token_hex(16),
            "status": "enabled",
            "type": body["type"],
            "version": "1",
            "condition": {
                "broadcaster_user_id": condition["broadcaster_user_id"],
                "user_id": condition["user_id"],
            },
            "created_at": _now_rfc3339(),
            "transport": {
                "method": "websocket",
                "session_id": session.id,
                "connected_at": _now_rfc3339(),
            },
            "cost": 0,
        }
        session.subscriptions[sub["id"]] = sub
        return web.json_response(
            {"data": [sub], "total": 1, "total_cost": 0, "max_total_cost": 10}, status=202
        )


class RestreamChat:
    """The chat WebSocket of one Restream emulator."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.heartbeat_seconds = 45.0
        self.sockets: list[web.WebSocketResponse] = []
        self.duplicate_next = False
        self.silent = False
        self.sent: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"RestreamChat(sockets={len(self.sockets)})"

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/ws", self._socket)

    async def inject(
        self, text: str, author: str = "viewer", *, event_source_id: int = 26, type_id: int = 27
    ) -> str:
        identifier = secrets.token_hex(12)
        action = {
            "action": "event",
            "payload": {
                "connectionIdentifier": f"{self.emulator.user_id}-{event_source_id}",
                "eventIdentifier": identifier,
                "eventSourceId": event_source_id,
                "eventTypeId": type_id,
                "userId": self.emulator.user_id,
                "eventPayload": {
                    "author": {"displayName": author, "id": "a" + secrets.token_hex(4)},
                    "text": text,
                },
            },
            "timestamp": int(datetime.now(UTC).timestamp()),
        }
        for _ in range(2 if self.duplicate_next else 1):
            await self._broadcast(action)
        self.duplicate_next = False
        return identifier

    async def drop_all(self) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1006)

    async def _broadcast(self, action: dict[str, Any]) -> None:
        for ws in list(self.sockets):
            if not ws.closed:
                self.sent[action["action"]] += 1
                await ws.send_json(action)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("accessToken", "")
        record = self.emulator.oauth.access_tokens.get(token)
        valid = (
            record is not None
            and not record.revoked
            and record.expires_at > self.emulator.clock()
            and "chat.read" in record.scopes
        )
        if not valid:
            return web.json_response(
                {
                    "error": {
                        "statusCode": 401,
                        "status": 401,
                        "code": 401,
                        "message": "Invalid token",
                        "name": "invalid_token",
                    }
                },
                status=401,
            )
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        loop = asyncio.get_running_loop()
        try:
            for channel in self.emulator.channels.values():
                if channel.active:
                    self.sent["connection_info"] += 1
                    await ws.send_json(
                        {
                            "action": "connection_info",
                            "payload": {
                                "connectionIdentifier": f"{self.emulator.user_id}-{channel.id}",
                                "status": "connected",
                                "userId": self.emulator.user_id,
                            },
                            "timestamp": int(datetime.now(UTC).timestamp()),
                        }
                    )
            last = loop.time()
            while not ws.closed:
                try:
                    message = await ws.receive(timeout=self.heartbeat_seconds / 4)
                except TimeoutError:
                    message = None
                if message is not None and message.type in (
                    WSMsgType.CLOSE,
                    WSMsgType.CLOSED,
                    WSMsgType.ERROR,
                    WSMsgType.CLOSING,
                ):
                    break  # text from the client is ignored, as documented
                if not self.silent and loop.time() - last >= self.heartbeat_seconds:
                    self.sent["heartbeat"] += 1
                    await ws.send_json(
                        {"action": "heartbeat", "timestamp": int(datetime.now(UTC).timestamp())}
                    )
                    last = loop.time()
        finally:
            self.sockets.remove(ws)
        return ws
