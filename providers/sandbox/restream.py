"""A strict local emulator of the Restream API v2 slice golive uses, and of its OAuth.

Pages modelled (https://developers.restream.io):
- /authentication: authorize at ``/login``, token at ``/oauth/token`` (client credentials by
  HTTP Basic or in the body), refresh tokens rotate and a refresh also invalidates the access
  tokens issued before it;
- /private-api/profile (``GET /v2/user/profile``, scope ``profile.read``);
- /channels/channel-list, /channels/channel (``GET /v2/user/channel/all`` and ``/{id}``,
  scope ``channels.read``), /channels/channel-update (``PATCH /v2/user/channel/{id}`` with
  ``{"active": bool}``, scope ``channels.write``, empty body on success),
  /channels/channel-meta and /channels/channel-meta-update (``GET`` / ``PATCH
  /v2/user/channel-meta/{id}``, ``title`` required, ``description`` optional);
- /private-api/stream-key (``GET /v2/user/streamKey``, scope ``stream.read``; ``srtUrl`` is
  null without SRT access);
- /public-api/platforms and /public-api/servers (``GET /v2/platform/all``, ``/v2/server/all``,
  no authentication);
- /events/in-progress-events (``GET /v2/user/events/in-progress``, scope ``stream.read``);
- the error JSON on every page: ``{"error": {"statusCode": 401, "status": 401, "code": 401,
  "message": "Invalid token: access token is invalid", "name": "invalid_token"}}`` and the
  404 ``"message": "ChannelNotFound", "name": "channel_not_found"``.

Where the documentation is silent the emulator picks the stricter plausible behaviour and says
so: a missing scope is 403 ``insufficient_scope``; unknown or badly typed body fields are 400
``invalid_request``; rate limiting is 429 ``too_many_requests`` with ``Retry-After`` (Restream
documents no limits). Platform ids 1 (Twitch) and 5 (YouTube) are Restream's; the others in
:data:`PLATFORMS` are the emulator's own.

Restream has no API to go live: the encoder does. ``connect_encoder`` plays that part and
opens an in-progress event sent to the channels enabled at that moment; by default the
encoder connects ``live_after`` seconds after the stream key was read (0 in the sandbox).
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from providers.base import Endpoints
from providers.sandbox.faults import Faults
from providers.sandbox.oauth import OAuthClient, OAuthServer, TokenRecord

BASE_PATH = "/v2"
AUTHORIZE_PATH = "/login"
TOKEN_PATH = "/oauth/token"
RESTREAM_SCOPES = (
    "profile.read",
    "channels.read",
    "channels.write",
    "stream.read",
    "stream.write",
    "chat.read",
)
PLATFORMS: tuple[tuple[int, str, str], ...] = (
    (1, "Twitch", "http://twitch.tv"),
    (5, "Youtube", "https://www.youtube.com"),
    (37, "Facebook Page", "https://www.facebook.com"),
    (38, "LinkedIn", "https://www.linkedin.com"),
    (39, "Kick", "https://kick.com"),
    (40, "Custom RTMP", ""),
)
SERVERS: tuple[dict[str, Any], ...] = (
    {
        "id": 20,
        "name": "Autodetect",
        "url": "live.restream.io",
        "rtmpUrl": "rtmp://live.restream.io/live",
        "latitude": "0.00000000",
        "longitude": "0.00000000",
    },
    {
        "id": 1,
        "name": "EU-West (London, GB)",
        "url": "london.restream.io",
        "rtmpUrl": "rtmp://london.restream.io/live",
        "latitude": "51.50735100",
        "longitude": "-0.12775800",
    },
    {
        "id": 2,
        "name": "US-East (New York, US)",
        "url": "ny.restream.io",
        "rtmpUrl": "rtmp://ny.restream.io/live",
        "latitude": "40.71277600",
        "longitude": "-74.00597400",
    },
)


class RestreamError(Exception):
    def __init__(
        self, status: int, message: str, name: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.name = name
        self.headers = headers or {}

    def response(self) -> web.Response:
        error = {
            "statusCode": self.status,
            "status": self.status,
            "code": self.status,
            "message": self.message,
            "name": self.name,
        }
        return web.json_response({"error": error}, status=self.status, headers=self.headers)


def _invalid(message: str) -> RestreamError:
    return RestreamError(400, message, "invalid_request")


class RestreamOAuthServer(OAuthServer):
    """The shared strict server; a refresh also kills the access tokens issued before it."""

    def _grant_refresh(self, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
        record = self.refresh_tokens.get(form.get("refresh_token", ""))
        body = super()._grant_refresh(client, form)
        if record is not None:
            for token in self.access_tokens.values():
                same = token.client_id == record.client_id and token.subject == record.subject
                if same and token.access_token != body["access_token"]:
                    token.revoked = True
        return body


@dataclass
class Channel:
    id: int
    platform_id: int
    display_name: str
    identifier: str
    url: str
    active: bool
    title: str = "Channel Title"
    description: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "streamingPlatformId": self.platform_id,
            "embedUrl": f"{self.url}/embed" if self.url else "",
            "url": self.url,
            "identifier": self.identifier,
            "displayName": self.display_name,
            "active": self.active,
        }


@dataclass
class Event:
    id: str
    title: str
    description: str
    started_at: int
    channels: list[Channel]
    finished_at: int | None = None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": "in-progress" if self.finished_at is None else "finished",
            "title": self.title,
            "description": self.description,
            "coverUrl": None,
            "isRecordOnly": not self.channels,
            "scheduledFor": None,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "destinations": [
                {
                    "channelId": c.id,
                    "externalUrl": c.url or None,
                    "streamingPlatformId": c.platform_id,
                }
                for c in self.channels
            ],
        }


Handler = Callable[..., Awaitable[web.StreamResponse]]


class RestreamEmulator:
    """The API, its OAuth server, one account with several channels, and the encoder."""

    def __init__(
        self,
        *,
        faults: Faults | None = None,
        live_after: float | None = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.faults = faults or Faults()
        self.live_after = live_after
        self.clock = clock
        self.client_id = str(uuid.uuid4())
        self.client_secret = secrets.token_hex(20)
        self.user_id = 100_000 + secrets.randbelow(900_000)
        self.oauth = RestreamOAuthServer(
            scopes=RESTREAM_SCOPES,
            authorize_path=AUTHORIZE_PATH,
            token_path=TOKEN_PATH,
            rotate_refresh_tokens=True,
            subject=str(self.user_id),
            faults=self.faults,
            clock=clock,
        )
        self.oauth.register_client(self.client_id, self.client_secret, allow_loopback=True)
        self.stream_key = f"re_{self.user_id}_{secrets.token_hex(16)}"
        self.channels: dict[int, Channel] = {}
        for offset, (platform, name, url, active) in enumerate(
            (
                (1, "golive_sandbox", "https://twitch.tv/golive_sandbox", True),
                (5, "golive sandbox", "https://www.youtube.com/channel/UCsandbox", True),
                (37, "golive Page", "https://www.facebook.com/golive", False),
                (38, "golive", "https://www.linkedin.com/in/golive", False),
                (40, "Studio recorder", "", True),
            )
        ):
            cid = 1_000_000 + offset
            self.channels[cid] = Channel(cid, platform, name, name.replace(" ", ""), url, active)
        self.key_read_at: float | None = None
        self.event: Event | None = None
        self.history: list[Event] = []
        #: every PATCH /user/channel/{id} accepted, in order: (channel id, active)
        self.switches: list[tuple[int, bool]] = []
        #: when set, PATCH /user/channel-meta answers this error (to test half-done switches)
        self.meta_error: RestreamError | None = None
        self.requests: Counter[str] = Counter()
        from providers.sandbox.chat import RestreamChat  # chat lives in its own module

        #: the chat WebSocket and its test hooks
        self.chat = RestreamChat(self)

    def __repr__(self) -> str:
        return f"RestreamEmulator(channels={len(self.channels)}, live={self.event is not None})"

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
        p = BASE_PATH
        routes: list[tuple[str, str, Handler, str | None]] = [
            ("GET", f"{p}/platform/all", self._platforms, None),
            ("GET", f"{p}/server/all", self._servers, None),
            ("GET", f"{p}/user/profile", self._profile, "profile.read"),
            ("GET", f"{p}/user/channel/all", self._channel_list, "channels.read"),
            ("GET", f"{p}/user/channel/{{id}}", self._channel_get, "channels.read"),
            ("PATCH", f"{p}/user/channel/{{id}}", self._channel_update, "channels.write"),
            ("GET", f"{p}/user/channel-meta/{{id}}", self._meta_get, "channels.read"),
            ("PATCH", f"{p}/user/channel-meta/{{id}}", self._meta_update, "channels.write"),
            ("GET", f"{p}/user/streamKey", self._stream_key, "stream.read"),
            ("GET", f"{p}/user/events/in-progress", self._in_progress, "stream.read"),
        ]
        for method, path, handler, scope in routes:
            app.router.add_route(method, path, self._wrap(method, path, handler, scope))
        self.chat.mount(app)  # the chat WebSocket, in providers.sandbox.chat
        return app

    # -- test hooks -------------------------------------------------------------------------

    def active_flags(self) -> dict[int, bool]:
        return {cid: c.active for cid, c in self.channels.items()}

    def connect_encoder(self) -> None:
        """The encoder starts sending: an event opens on the channels enabled right now."""
        if self.event is None:
            enabled = [c for c in self.channels.values() if c.active]
            title = enabled[0].title if enabled else "Live"
            description = enabled[0].description if enabled else ""
            self.event = Event(str(uuid.uuid4()), title, description, int(self.clock()), enabled)

    def disconnect_encoder(self) -> None:
        if self.event is not None:
            self.event.finished_at = int(self.clock())
            self.history.append(self.event)
            self.event = None
        self.key_read_at = None

    def _settle(self) -> None:
        read_at, after = self.key_read_at, self.live_after
        due = read_at is not None and after is not None and self.clock() >= read_at + after
        if self.event is None and due:
            self.connect_encoder()

    # -- pipeline ---------------------------------------------------------------------------

    def _wrap(self, method: str, path: str, handler: Handler, scope: str | None) -> Handler:
        async def route(request: web.Request) -> web.StreamResponse:
            self.requests[f"{method} {path.removeprefix(BASE_PATH)}"] += 1
            await self.faults.delay()
            try:
                if scope is not None:
                    token = self._authenticate(request)
                    if scope not in token.scopes:
                        raise RestreamError(
                            403, f"Insufficient scope: {scope} is required", "insufficient_scope"
                        )
                if self.faults.take_rate_limit():
                    raise RestreamError(
                        429, "Too Many Requests", "too_many_requests", {"Retry-After": "1"}
                    )
                if self.faults.take_error():
                    raise RestreamError(500, "Internal Server Error", "internal_error")
                return await handler(request)
            except RestreamError as exc:
                return exc.response()

        return route

    def _authenticate(self, request: web.Request) -> TokenRecord:
        record = self.oauth.check_bearer(request)
        if record is None:
            raise RestreamError(401, "Invalid token: access token is invalid", "invalid_token")
        return record

    def _channel(self, request: web.Request) -> Channel:
        raw = request.match_info["id"]
        channel = self.channels.get(int(raw)) if raw.isdigit() else None
        if channel is None:
            raise RestreamError(404, "ChannelNotFound", "channel_not_found")
        return channel

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise _invalid("Content-Type must be application/json")
        try:
            body = await request.json()
        except ValueError:
            raise _invalid("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _invalid("The request body must be a JSON object")
        return body

    # -- endpoints --------------------------------------------------------------------------

    async def _platforms(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            [
                {
                    "id": pid,
                    "name": name,
                    "url": url,
                    "image": {
                        "png": f"https://restream.io/img/api/platforms/platform-{pid}.png",
                        "svg": f"https://restream.io/img/api/platforms/platform-{pid}.svg",
                    },
                }
                for pid, name, url in PLATFORMS
            ]
        )

    async def _servers(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([dict(s) for s in SERVERS])

    async def _profile(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"id": self.user_id, "username": "golive_sandbox", "email": "sandbox@example.com"}
        )

    async def _channel_list(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([c.json() for c in self.channels.values()])

    async def _channel_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._channel(request).json())

    async def _channel_update(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel(request)
        body = await self._json_body(request)
        if set(body) != {"active"} or not isinstance(body["active"], bool):
            raise _invalid('The body must be {"active": true} or {"active": false}')
        channel.active = body["active"]
        self.switches.append((channel.id, channel.active))
        return web.Response(status=200)

    async def _meta_get(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"title": self._channel(request).title})

    async def _meta_update(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel(request)
        if self.meta_error is not None:
            raise self.meta_error
        body = await self._json_body(request)
        unknown = sorted(set(body) - {"title", "description"})
        if unknown:
            raise _invalid(f"Unknown field {unknown[0]!r}")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _invalid("title is required")
        description = body.get("description", "")
        if not isinstance(description, str):
            raise _invalid("description must be a string")
        channel.title = title
        if "description" in body:
            channel.description = description
        return web.Response(status=200)

    async def _stream_key(self, request: web.Request) -> web.StreamResponse:
        if self.key_read_at is None:
            self.key_read_at = self.clock()
        return web.json_response({"streamKey": self.stream_key, "srtUrl": None})

    async def _in_progress(self, request: web.Request) -> web.StreamResponse:
        self._settle()
        return web.json_response([self.event.json()] if self.event is not None else [])
