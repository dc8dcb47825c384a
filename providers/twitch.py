"""Twitch through the Helix API.

Twitch has no API that starts or stops a stream: a channel is live while an encoder pushes
video to its ingest with the channel's stream key. So a golive broadcast on Twitch is the
channel itself: create hands out the ingest and key, start sets the stream title and
category and looks whether the encoder is sending, stop says whether the stream is still up.

Pages followed:
- https://dev.twitch.tv/docs/api/reference/#get-users (the token's own user: id and login)
- https://dev.twitch.tv/docs/api/reference/#get-stream-key (scope ``channel:read:stream_key``)
- https://dev.twitch.tv/docs/api/reference/#modify-channel-information (``PATCH /channels``,
  scope ``channel:manage:broadcast``, title at most 140 characters, 204 on success)
- https://dev.twitch.tv/docs/api/reference/#get-games and #search-categories (category by name)
- https://dev.twitch.tv/docs/api/reference/#get-streams (live status, ``viewer_count``; an
  offline channel is simply absent from ``data``)
- https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits (token bucket of 800 points a
  minute; ``Ratelimit-Reset`` is the Unix time the bucket is full again; no ``Retry-After``)
- https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#authorization-code-grant-flow
  (the client secret is required at the token endpoint; Twitch does not support PKCE, see
  https://github.com/twitchdev/issues/issues/1097, and ignores the PKCE parameters golive's
  shared OAuth client sends)
- https://dev.twitch.tv/docs/api/reference/#delete-chat-messages (``DELETE
  /moderation/chat``, scope ``moderator:manage:chat_messages``, 204)
- https://dev.twitch.tv/docs/api/reference/#ban-user and #unban-user (``POST`` / ``DELETE
  /moderation/bans``, scope ``moderator:manage:banned_users``; ``duration`` 1 to 1,209,600
  seconds is a time-out, none a ban)
- https://dev.twitch.tv/docs/video-broadcast/ and .../reference/ingest (the ``Default``
  ingest ``rtmps://ingest.global-contribute.live-video.net/app``)
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from providers.base import (
    AuthStyle,
    BroadcastHandle,
    BroadcastRequest,
    BroadcastState,
    Capability,
    Endpoints,
    Kind,
    PlatformConfig,
    Provider,
)
from providers.errors import AuthExpired, InvalidRequest, NotConnected, PlatformError, RateLimited
from providers.http import ErrorInfo, PlatformHttp, generic_error

#: the ``Default`` entry of https://ingest.twitch.tv/ingests (``url_template_secure``)
DEFAULT_INGEST = "rtmps://ingest.global-contribute.live-video.net/app"
TITLE_LIMIT = 140
CATEGORY_LIMIT = 200
WAITING = "waiting for the encoder"
STILL_UP = "Twitch still shows the stream as live: Twitch has no API to end it, so stop the encoder"
ENCODER_POLLS = 3
ENCODER_WAIT = 1.0
_SETTINGS = ("category",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_title(title: str) -> str:
    """Twitch refuses an empty title and caps it at 140 characters."""
    cleaned = _CONTROL.sub(" ", title).strip() or "Live"
    if len(cleaned) > TITLE_LIMIT:
        cleaned = cleaned[: TITLE_LIMIT - 1].rstrip() + "…"
    return cleaned


#: the longest time-out Helix accepts (two weeks)
MAX_TIMEOUT_SECONDS = 1_209_600


class Twitch(Provider):
    name = "twitch"
    display_name = "Twitch"
    kind = Kind.LIVESTREAM
    # Authorization code with the client secret; the PKCE parameters are sent and ignored.
    auth_style = AuthStyle.OAUTH_PKCE
    default_endpoints = Endpoints(
        api_url="https://api.twitch.tv/helix",
        auth_url="https://id.twitch.tv/oauth2/authorize",
        token_url="https://id.twitch.tv/oauth2/token",
    )
    scopes = (
        "channel:read:stream_key",
        "channel:manage:broadcast",
        "user:read:chat",
        "moderator:manage:chat_messages",
        "moderator:manage:banned_users",
    )
    capabilities = frozenset(
        {
            Capability.CREATE_BROADCAST,
            Capability.START_BROADCAST,
            Capability.STOP_BROADCAST,
            Capability.VIEWER_COUNT,
            Capability.CHAT_DELETE,
            Capability.TIMEOUT,
            Capability.BAN,
        }
    )
    # 800 points a minute per client and user; every call golive makes costs one point.
    rate_limit = (800, 60.0)
    #: GOLIVE_TWITCH_CATEGORY (default category), GOLIVE_TWITCH_INGEST_URL (nearer ingest)
    option_names: ClassVar[tuple[str, ...]] = ("category", "ingest_url")
    link_domains: ClassVar[tuple[str, ...]] = ("twitch.tv",)

    def __init__(self, config: PlatformConfig, http: PlatformHttp) -> None:
        if not config.client_id:
            raise NotConnected(self.name, "GOLIVE_TWITCH_CLIENT_ID is not set")
        self.config = config
        self.http = http
        # Helix refuses every call without the app's Client-Id next to the bearer token.
        http.extra_headers["Client-Id"] = config.client_id
        if http.parse_error is generic_error:
            http.parse_error = self.parse_error
        options = config.options
        self.default_category = options.get("category", "").strip()
        self.ingest_url = options.get("ingest_url") or DEFAULT_INGEST
        self.encoder_polls = int(options.get("encoder_polls", ENCODER_POLLS))
        self.encoder_wait = float(options.get("encoder_wait_seconds", ENCODER_WAIT))

    def __repr__(self) -> str:
        return f"Twitch(api_url={self.http.base_url!r})"

    # -- contract helpers ------------------------------------------------------------------

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        unknown = sorted(set(settings) - set(_SETTINGS))
        if unknown:
            raise InvalidRequest(
                cls.name,
                f"Twitch has no setting {', '.join(unknown)}; its setting is: category",
            )
        category = settings.get("category")
        if category is not None:
            if not category.strip():
                raise InvalidRequest(cls.name, "the Twitch category is empty")
            if len(category) > CATEGORY_LIMIT or _CONTROL.search(category):
                raise InvalidRequest(cls.name, "the Twitch category is not a category name")

    @staticmethod
    def parse_error(response: httpx.Response) -> ErrorInfo:
        """Helix's ``{"error", "status", "message"}``; 429 waits until ``Ratelimit-Reset``."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        message = code = None
        if isinstance(body, dict):
            message = body.get("message") or body.get("error_description")
            code = body.get("error")
        message = str(message or code or f"HTTP {status} {response.reason_phrase}".strip())
        kind: type[PlatformError] | None = None
        retry_after = None
        if status == 401 and message.lower().startswith("missing scope"):
            # the token is fine but was granted without this permission (a connection made
            # before golive asked for it): refreshing cannot help, reconnecting does
            kind = InvalidRequest
            message = f"{message}; reconnect Twitch (/platforms connect twitch) to grant it"
        elif status == 401:
            kind = AuthExpired
        elif status == 429:
            kind = RateLimited
            reset = response.headers.get("Ratelimit-Reset")
            try:
                retry_after = max(0.0, float(reset) - time.time()) if reset else None
            except ValueError:
                retry_after = None
        return ErrorInfo(
            message, code=str(code) if code else None, kind=kind, retry_after=retry_after
        )

    # -- Helix calls -----------------------------------------------------------------------

    async def _data(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        body = await self.http.json("GET", path, params=params or {})
        data = (body or {}).get("data") if isinstance(body, dict) else None
        return [item for item in data or [] if isinstance(item, dict)]

    async def _me(self) -> dict[str, Any]:
        users = await self._data("users")
        if not users:
            raise AuthExpired(self.name, "Twitch returned no user for the stored token")
        return users[0]

    async def _stream(self, handle: BroadcastHandle) -> dict[str, Any] | None:
        streams = await self._data("streams", {"user_id": handle.remote_id, "type": "live"})
        return streams[0] if streams else None

    async def resolve_category(self, name: str) -> tuple[str, str]:
        """(game id, name) for a category given by name or id; exact names first, then search."""
        wanted = name.strip()
        if wanted.isdigit():
            found = await self._data("games", {"id": wanted})
        else:
            found = await self._data("games", {"name": wanted})
        if found:
            return str(found[0]["id"]), str(found[0].get("name", wanted))
        results = await self._data("search/categories", {"query": wanted, "first": "10"})
        for item in results:
            if str(item.get("name", "")).casefold() == wanted.casefold():
                return str(item["id"]), str(item["name"])
        hint = ", ".join(str(item.get("name")) for item in results[:5])
        suffix = f"; did you mean: {hint}" if hint else ""
        raise InvalidRequest(
            self.name, f"Twitch has no category named {wanted!r}{suffix}", code="category"
        )

    def _apply_stream(self, handle: BroadcastHandle, stream: dict[str, Any] | None) -> bool:
        if stream is None:
            return False
        handle.state = BroadcastState.LIVE
        handle.message = None
        handle.data["went_live"] = "true"
        for key in ("id", "started_at"):
            if stream.get(key):
                handle.data[f"stream_{key}"] = str(stream[key])
        return True

    # -- LivestreamProvider --------------------------------------------------------------------

    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle:
        self.check_settings(request.settings)
        user = await self._me()
        broadcaster = str(user["id"])
        login = str(user.get("login") or "")
        category = request.settings.get("category") or self.default_category
        data = {"broadcaster_id": broadcaster, "login": login, "title": clean_title(request.title)}
        if category:
            # Resolved now so a misspelt category fails before anything goes out anywhere.
            data["game_id"], data["category"] = await self.resolve_category(category)
        keys = await self._data("streams/key", {"broadcaster_id": broadcaster})
        key = keys[0].get("stream_key") if keys else None
        if not key:
            raise InvalidRequest(self.name, "Twitch returned no stream key for the channel")
        return BroadcastHandle(
            remote_id=broadcaster,
            state=BroadcastState.READY,
            watch_url=f"https://www.twitch.tv/{login}" if login else None,
            ingest_url=self.ingest_url,
            stream_key=SecretStr(str(key)),
            data=data,
            message=WAITING,
        )

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        body: dict[str, str] = {"title": handle.data.get("title") or "Live"}
        if handle.data.get("game_id"):
            body["game_id"] = handle.data["game_id"]
        await self.http.request(
            "PATCH", "channels", params={"broadcaster_id": handle.remote_id}, json=body
        )
        for attempt in range(max(1, self.encoder_polls)):
            if self._apply_stream(handle, await self._stream(handle)):
                return handle
            if attempt + 1 < self.encoder_polls:
                await asyncio.sleep(self.encoder_wait)
        handle.state = BroadcastState.READY
        handle.message = WAITING
        return handle

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        still_up = await self._stream(handle) is not None
        handle.state = BroadcastState.ENDED
        handle.message = STILL_UP if still_up else None
        return handle

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle:
        stream = await self._stream(handle)
        if handle.state is BroadcastState.ENDED:
            handle.message = STILL_UP if stream is not None else None
            return handle
        if self._apply_stream(handle, stream):
            return handle
        if handle.data.get("went_live") == "true":
            handle.state = BroadcastState.ENDED
            handle.message = "the stream ended on Twitch when the encoder stopped sending"
        else:
            handle.state = BroadcastState.READY
            handle.message = WAITING
        return handle

    async def viewer_count(self, handle: BroadcastHandle) -> int | None:
        """Viewers of the live stream; None while the channel is offline."""
        stream = await self._stream(handle)
        if stream is None:
            return None
        try:
            return int(stream.get("viewer_count"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    # -- chat moderation -------------------------------------------------------------------
    # golive connects as the broadcaster, so the broadcaster is also the moderator.

    @staticmethod
    def _moderation_ids(handle: BroadcastHandle) -> dict[str, str]:
        return {"broadcaster_id": handle.remote_id, "moderator_id": handle.remote_id}

    async def delete_message(self, handle: BroadcastHandle, message_id: str) -> None:
        params = {**self._moderation_ids(handle), "message_id": message_id}
        await self.http.json("DELETE", "moderation/chat", params=params)

    async def ban(self, handle: BroadcastHandle, author_id: str, seconds: int | None) -> None:
        """A ban without ``seconds``, a time-out with them (Twitch allows 1 s to 14 days)."""
        data: dict[str, Any] = {"user_id": author_id}
        if seconds is not None:
            if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
                raise InvalidRequest(self.name, "a Twitch time-out lasts 1 second to 14 days")
            data["duration"] = int(seconds)
        await self.http.json(
            "POST", "moderation/bans", params=self._moderation_ids(handle), json={"data": data}
        )

    async def unban(self, handle: BroadcastHandle, author_id: str) -> None:
        """Lifts a ban or a time-out alike."""
        params = {**self._moderation_ids(handle), "user_id": author_id}
        await self.http.json("DELETE", "moderation/bans", params=params)


PROVIDER = Twitch
