"""A strict local emulator of the Twitch Helix endpoints golive uses, and of Twitch's OAuth.

Pages modelled:
- https://dev.twitch.tv/docs/api/reference/#get-users, #get-stream-key,
  #modify-channel-information, #get-games, #search-categories, #get-streams (paths,
  parameters, scopes, response shapes; PATCH answers 204; at least one field to change; the
  title is 1-140 characters; ``broadcaster_id`` must be the token's user);
- https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits (a bucket per client and user,
  800 points a minute, ``Ratelimit-Limit`` / ``Ratelimit-Remaining`` / ``Ratelimit-Reset`` on
  every answer, 429 when empty; Twitch sends no ``Retry-After``);
- https://dev.twitch.tv/docs/authentication/ (``Authorization: Bearer`` and a ``Client-Id``
  that must be the client the token was issued to; error JSON
  ``{"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}``);
- https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#authorization-code-grant-flow
  and .../refresh-tokens (client id and secret in the form body, ``scope`` answered as a JSON
  list, ``token_type`` ``bearer``, failures as ``{"error": "Bad Request", "status": 400,
  "message": "Invalid refresh token"}``).

Where the documentation is silent the emulator is stricter and says so: unknown query
parameters and unknown body fields are refused with 400. PKCE is still checked by the shared
:mod:`providers.sandbox.oauth` server although Twitch ignores it (golive sends it anyway).

Twitch has no API to go live: an encoder does. ``connect_encoder`` plays that part; by default
the encoder "connects" ``live_after`` seconds after the stream key was read (0 in the sandbox),
so ``golive console --sandbox`` shows the stream going live.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.faults import Faults
from providers.sandbox.oauth import OAuthClient, OAuthProtocolError, OAuthServer, TokenRecord

BASE_PATH = "/helix"
AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"
POINTS_PER_MINUTE = 800

TWITCH_SCOPES: tuple[str, ...] = (
    "channel:read:stream_key",
    "channel:manage:broadcast",
    "user:read:email",
    "user:read:chat",
    "user:write:chat",
    "moderator:manage:banned_users",
    "moderator:manage:chat_messages",
)

#: a small slice of Twitch's category catalogue (ids as Twitch has them)
GAMES: tuple[tuple[str, str], ...] = (
    ("509658", "Just Chatting"),
    ("509670", "Science & Technology"),
    ("1469308723", "Software and Game Development"),
    ("26936", "Music"),
    ("509660", "Art"),
    ("33214", "Fortnite"),
    ("27471", "Minecraft"),
    ("417752", "Talk Shows & Podcasts"),
)

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
_CHANNEL_FIELDS = frozenset(
    {
        "game_id",
        "broadcaster_language",
        "title",
        "delay",
        "tags",
        "content_classification_labels",
        "is_branded_content",
    }
)


class HelixError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self, headers: dict[str, str] | None = None) -> web.Response:
        body = {"error": _REASONS.get(self.status, "Error"), "status": self.status}
        body["message"] = self.message
        return web.json_response(body, status=self.status, headers=headers or {})


class TwitchOAuthServer(OAuthServer):
    """The shared strict server, answering in Twitch's own token and error shapes."""

    def _token_response(
        self, client_id: str, scopes: tuple[str, ...], subject: str, refresh: bool
    ) -> dict[str, Any]:
        body = super()._token_response(client_id, scopes, subject, refresh)
        body["scope"] = list(scopes)
        body["token_type"] = "bearer"
        return body

    def _authenticate_client(self, request: web.Request, form: dict[str, str]) -> OAuthClient:
        if request.headers.get("Authorization"):
            raise OAuthProtocolError("invalid_client", "missing client secret")
        if not form.get("client_secret"):
            raise OAuthProtocolError("invalid_client", "missing client secret")
        return super()._authenticate_client(request, form)

    async def handle_token(self, request: web.Request) -> web.Response:
        response = await super().handle_token(request)
        if response.status < 400:
            return response
        assert response.text is not None
        description = json.loads(response.text).get("error_description", "")
        return HelixError(response.status, description or "Invalid request").response(
            {"Cache-Control": "no-store"}
        )


@dataclass
class Channel:
    user_id: str
    login: str
    display_name: str
    stream_key: str = field(repr=False)
    title: str = ""
    game_id: str = ""
    language: str = "en"
    key_read_at: float | None = None
    live_since: datetime | None = None
    stream_id: str | None = None
    viewers: int = 0
    #: every PATCH /channels body accepted, so tests can count title updates
    updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Bucket:
    remaining: float
    updated: float


Handler = Callable[[web.Request, TokenRecord], Awaitable[web.StreamResponse]]


class TwitchEmulator:
    """Helix, the token endpoint, one channel per user and a stand-in for the encoder."""

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        live_after: float | None = 0.0,
        points_per_minute: int = POINTS_PER_MINUTE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.faults = faults or Faults()
        #: seconds after the key is read that the encoder connects by itself; None: never
        self.live_after = live_after
        self.points_per_minute = points_per_minute
        self.clock = clock
        self.client_id = secrets.token_hex(15)
        self.client_secret = secrets.token_hex(15)
        user_id = str(100_000_000 + secrets.randbelow(800_000_000))
        self.channel = Channel(
            user_id=user_id,
            login="golive_sandbox",
            display_name="golive_sandbox",
            stream_key=f"live_{user_id}_{secrets.token_urlsafe(22)}",
        )
        self.channels: dict[str, Channel] = {user_id: self.channel}
        self.oauth = TwitchOAuthServer(
            scopes=TWITCH_SCOPES,
            authorize_path=AUTHORIZE_PATH,
            token_path=TOKEN_PATH,
            expires_in=14_400,
            rotate_refresh_tokens=True,
            subject=user_id,
            faults=self.faults,
            clock=clock,
        )
        self.oauth.register_client(self.client_id, self.client_secret, allow_loopback=True)
        self.games = dict(GAMES)
        self._buckets: dict[tuple[str, str], Bucket] = {}
        #: requests that reached a route, by "METHOD path"
        self.requests: Counter[str] = Counter()
        from providers.sandbox.chat import TwitchChat  # chat lives in its own module

        #: EventSub WebSocket sessions and channel.chat.message, with test hooks
        self.chat = TwitchChat(self)

    def __repr__(self) -> str:
        return f"TwitchEmulator(channels={len(self.channels)}, live={self.is_live()})"

    @property
    def client(self) -> tuple[str, str]:
        return self.client_id, self.client_secret

    def endpoints(self, base_url: str) -> Endpoints:
        base = base_url.rstrip("/")
        return Endpoints(
            api_url=base + BASE_PATH, auth_url=base + AUTHORIZE_PATH, token_url=base + TOKEN_PATH
        )

    def app(self) -> web.Application:
        app = web.Application()
        self.oauth.mount(app)
        routes: dict[tuple[str, str], Handler] = {
            ("GET", "users"): self._users,
            ("GET", "streams/key"): self._stream_key,
            ("PATCH", "channels"): self._modify_channel,
            ("GET", "games"): self._games,
            ("GET", "search/categories"): self._search_categories,
            ("GET", "streams"): self._streams,
        }
        for (method, path), handler in routes.items():
            app.router.add_route(method, f"{BASE_PATH}/{path}", self._wrap(method, path, handler))
        self.chat.mount(app)  # EventSub over WebSocket, in providers.sandbox.chat
        return app

    # -- test hooks -------------------------------------------------------------------------

    def connect_encoder(self, user_id: str | None = None) -> None:
        """The encoder starts pushing video: the channel goes live."""
        channel = self.channels[user_id or self.channel.user_id]
        if channel.live_since is None:
            channel.live_since = datetime.now(UTC)
            channel.stream_id = str(40_000_000_000 + secrets.randbelow(10**9))

    def disconnect_encoder(self, user_id: str | None = None) -> None:
        channel = self.channels[user_id or self.channel.user_id]
        channel.live_since = None
        channel.stream_id = None
        channel.key_read_at = None

    def is_live(self, user_id: str | None = None) -> bool:
        channel = self.channels[user_id or self.channel.user_id]
        self._settle(channel)
        return channel.live_since is not None

    def _settle(self, channel: Channel) -> None:
        read_at, after = channel.key_read_at, self.live_after
        due = read_at is not None and after is not None and self.clock() >= read_at + after
        if channel.live_since is None and due:
            self.connect_encoder(channel.user_id)

    # -- request pipeline -------------------------------------------------------------------

    def _wrap(self, method: str, path: str, handler: Handler) -> Callable[..., Awaitable[Any]]:
        async def route(request: web.Request) -> web.StreamResponse:
            self.requests[f"{method} {path}"] += 1
            await self.faults.delay()
            headers: dict[str, str] = {}
            try:
                token = self._authenticate(request)
                headers = self._spend(token)
                if self.faults.take_rate_limit():
                    headers["Ratelimit-Remaining"] = "0"
                    headers["Ratelimit-Reset"] = str(int(self.clock()) + 2)
                    raise HelixError(429, "Too Many Requests")
                if headers["Ratelimit-Remaining"] == "-1":
                    headers["Ratelimit-Remaining"] = "0"
                    raise HelixError(429, "Too Many Requests")
                if self.faults.take_error():
                    raise HelixError(500, "Internal Server Error")
                response = await handler(request, token)
            except HelixError as exc:
                return exc.response(headers)
            response.headers.update(headers)
            return response

        return route

    def _authenticate(self, request: web.Request) -> TokenRecord:
        header = request.headers.get("Authorization", "")
        if not header:
            raise HelixError(401, "OAuth token is missing")
        if not header.startswith("Bearer "):
            raise HelixError(401, "Invalid OAuth token")
        client_id = request.headers.get("Client-Id")
        if not client_id:
            raise HelixError(401, "Client ID is missing")
        record = self.oauth.check_bearer(request)
        if record is None:
            raise HelixError(401, "Invalid OAuth token")
        if record.client_id != client_id:
            raise HelixError(401, "Client ID and OAuth token do not match")
        return record

    def _spend(self, token: TokenRecord) -> dict[str, str]:
        """Take one point from the caller's bucket; ``-1`` remaining means it was empty."""
        limit = float(self.points_per_minute)
        rate = limit / 60.0
        now = self.clock()
        key = (token.client_id, token.subject)
        bucket = self._buckets.setdefault(key, Bucket(limit, now))
        bucket.remaining = min(limit, bucket.remaining + (now - bucket.updated) * rate)
        bucket.updated = now
        empty = bucket.remaining < 1
        if not empty:
            bucket.remaining -= 1
        reset = now + (limit - bucket.remaining) / rate
        return {
            "Ratelimit-Limit": str(self.points_per_minute),
            "Ratelimit-Remaining": "-1" if empty else str(int(bucket.remaining)),
            "Ratelimit-Reset": str(int(reset) + 1),
        }

    @staticmethod
    def _query(request: web.Request, allowed: dict[str, bool]) -> dict[str, list[str]]:
        """Query values by name; ``allowed`` maps each known name to whether it repeats."""
        values: dict[str, list[str]] = {}
        for key, value in request.query.items():
            if key not in allowed:
                raise HelixError(400, f"The parameter {key!r} is not supported")
            values.setdefault(key, []).append(value)
        for key, given in values.items():
            if len(given) > 1 and not allowed[key]:
                raise HelixError(400, f"The parameter {key!r} may be given only once")
        return values

    @staticmethod
    def _scope(token: TokenRecord, scope: str) -> None:
        if scope not in token.scopes:
            raise HelixError(401, f"Missing scope: {scope}")

    def _own_channel(self, token: TokenRecord, values: dict[str, list[str]]) -> Channel:
        broadcaster = (values.get("broadcaster_id") or [""])[0]
        if not broadcaster:
            raise HelixError(400, 'Missing required parameter "broadcaster_id"')
        if broadcaster != token.subject:
            raise HelixError(
                401,
                "The ID in broadcaster_id must match the user ID found in the request's "
                "OAuth token.",
            )
        return self.channels[broadcaster]

    # -- endpoints --------------------------------------------------------------------------

    async def _users(self, request: web.Request, token: TokenRecord) -> web.StreamResponse:
        values = self._query(request, {"id": True, "login": True})
        ids, logins = values.get("id", []), values.get("login", [])
        if len(ids) + len(logins) > 100:
            raise HelixError(400, "The combined number of id and login values may not exceed 100")
        if ids or logins:
            found = [c for c in self.channels.values() if c.user_id in ids or c.login in logins]
        else:
            found = [self.channels[token.subject]]
        return web.json_response({"data": [self._user_json(c) for c in found]})

    @staticmethod
    def _user_json(channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.user_id,
            "login": channel.login,
            "display_name": channel.display_name,
            "type": "",
            "broadcaster_type": "",
            "description": "",
            "profile_image_url": "",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": "2020-01-01T00:00:00Z",
        }

    async def _stream_key(self, request: web.Request, token: TokenRecord) -> web.StreamResponse:
        values = self._query(request, {"broadcaster_id": False})
        self._scope(token, "channel:read:stream_key")
        channel = self._own_channel(token, values)
        channel.key_read_at = channel.key_read_at or self.clock()
        return web.json_response({"data": [{"stream_key": channel.stream_key}]})

    async def _modify_channel(self, request: web.Request, token: TokenRecord) -> web.StreamResponse:
        values = self._query(request, {"broadcaster_id": False})
        self._scope(token, "channel:manage:broadcast")
        channel = self._own_channel(token, values)
        if request.content_type != "application/json":
            raise HelixError(400, "The request body must be JSON")
        try:
            body = await request.json()
        except ValueError:
            raise HelixError(400, "The request body is not valid JSON") from None
        if not isinstance(body, dict) or not body:
            raise HelixError(400, "The request must update at least one field")
        unknown = sorted(set(body) - _CHANNEL_FIELDS)
        if unknown:
            raise HelixError(400, f"Unknown field {unknown[0]!r}")
        if "title" in body:
            title = body["title"]
            if not isinstance(title, str) or not title.strip():
                raise HelixError(400, "The title may not be empty")
            if len(title) > 140:
                raise HelixError(400, "The title may not be longer than 140 characters")
        if "game_id" in body:
            game = body["game_id"]
            if not isinstance(game, str) or (game not in ("", "0") and game not in self.games):
                raise HelixError(400, "The game_id is not valid")
        channel.updates.append(dict(body))
        if "title" in body:
            channel.title = body["title"]
        if "game_id" in body:
            channel.game_id = "" if body["game_id"] in ("", "0") else body["game_id"]
        return web.Response(status=204)

    async def _games(self, request: web.Request, token: TokenRecord) -> web.StreamResponse:
        values = self._query(request, {"id": True, "name": True, "igdb_id": True})
        if not values:
            raise HelixError(400, "Missing required parameter: id, name or igdb_id")
        ids, names = values.get("id", []), values.get("name", [])
        found = [
            {"id": gid, "name": name, "box_art_url": "", "igdb_id": ""}
            for gid, name in self.games.items()
            if gid in ids or name in names  # names match exactly, as Twitch's do
        ]
        return web.json_response({"data": found})

    async def _search_categories(
        self, request: web.Request, token: TokenRecord
    ) -> web.StreamResponse:
        values = self._query(request, {"query": False, "first": False, "after": False})
        query = (values.get("query") or [""])[0]
        if not query:
            raise HelixError(400, 'Missing required parameter "query"')
        first = self._first(values)
        needle = query.casefold()
        found = [
            {"id": gid, "name": name, "box_art_url": ""}
            for gid, name in self.games.items()
            if needle in name.casefold()
        ]
        return web.json_response({"data": found[:first], "pagination": {}})

    @staticmethod
    def _first(values: dict[str, list[str]]) -> int:
        raw = (values.get("first") or ["20"])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise HelixError(400, 'The parameter "first" must be between 1 and 100')
        return int(raw)

    async def _streams(self, request: web.Request, token: TokenRecord) -> web.StreamResponse:
        values = self._query(
            request,
            {
                "user_id": True,
                "user_login": True,
                "game_id": True,
                "type": False,
                "language": True,
                "first": False,
                "before": False,
                "after": False,
            },
        )
        kind = (values.get("type") or ["all"])[0]
        if kind not in ("all", "live"):
            raise HelixError(400, 'The parameter "type" must be all or live')
        first = self._first(values)
        ids, logins = values.get("user_id", []), values.get("user_login", [])
        if len(ids) > 100 or len(logins) > 100:
            raise HelixError(400, "At most 100 user_id and 100 user_login values are allowed")
        items = []
        for channel in self.channels.values():
            if (ids or logins) and channel.user_id not in ids and channel.login not in logins:
                continue
            self._settle(channel)
            if channel.live_since is not None:
                items.append(self._stream_json(channel))
        return web.json_response({"data": items[:first], "pagination": {}})

    def _stream_json(self, channel: Channel) -> dict[str, Any]:
        assert channel.live_since is not None
        return {
            "id": channel.stream_id,
            "user_id": channel.user_id,
            "user_login": channel.login,
            "user_name": channel.display_name,
            "game_id": channel.game_id,
            "game_name": self.games.get(channel.game_id, ""),
            "type": "live",
            "title": channel.title,
            "tags": [],
            "viewer_count": channel.viewers,
            "started_at": channel.live_since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "language": channel.language,
            "thumbnail_url": f"https://static-cdn.jtvnw.net/previews-ttv/live_user_{channel.login}"
            "-{width}x{height}.jpg",
            "tag_ids": [],
            "is_mature": False,
        }
