"""YouTube Live through the YouTube Data API v3.

A golive broadcast on YouTube is three API objects: a ``liveBroadcast`` (the event viewers
see), a ``liveStream`` (the ingest point the encoder pushes to) and the binding between them.
Going live is a ``transition`` that YouTube only accepts once the bound stream reports
``status.streamStatus == "active"``, i.e. the encoder is already sending.

Pages followed:
- https://developers.google.com/youtube/v3/live/life-of-a-broadcast
- https://developers.google.com/youtube/v3/live/docs/liveBroadcasts/insert, /update (the
  scheduled start of an edit), /bind, /transition, /list, /delete
- https://developers.google.com/youtube/v3/live/docs/liveStreams/insert, /list
- https://developers.google.com/youtube/v3/docs/videos/list (``liveStreamingDetails``; for the
  recording, ``status.uploadStatus`` and the owner-only ``processingDetails.processingStatus``)
- https://developers.google.com/youtube/v3/docs/videos/update (``snippet.categoryId``; the
  snippet's title and description are sent again because an update removes what it leaves out)
- https://developers.google.com/youtube/v3/docs/thumbnails/set (JPEG or PNG, 2 MB at most,
  uploaded to ``/upload/youtube/v3``, a base beside the API's own)
- https://developers.google.com/youtube/v3/live/docs/errors and
  https://developers.google.com/youtube/v3/guides/implementation/errors (error JSON)
- https://developers.google.com/youtube/v3/determine_quota_cost (units per method, 10,000 a
  day per project, reset at midnight Pacific time)
- https://developers.google.com/youtube/v3/live/docs/liveChatMessages/delete (``DELETE
  liveChat/messages?id=``, 204, 20 units; ``forbidden``, ``modificationNotAllowed`` for a
  moderator's or the owner's message, ``liveChatMessageNotFound``)
- https://developers.google.com/youtube/v3/live/docs/liveChatBans, .../insert and .../delete
  (``snippet.liveChatId``, ``snippet.type`` permanent or temporary, ``banDurationSeconds``,
  ``bannedUserDetails.channelId``; lifting a ban needs the ban's own ``id``, which only the
  insert answer carries, so golive keeps it in the broadcast's stored handle data)
- https://developers.google.com/identity/protocols/oauth2/web-server (``access_type=offline``
  and ``prompt=consent`` so Google issues a refresh token every time the admin connects)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
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
from providers.errors import AuthExpired, InvalidRequest, PlatformError, RateLimited
from providers.http import ErrorInfo, PlatformHttp, generic_error
from providers.recordings import Found, Lookup, NoRecording, Processing, Recording

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    _PACIFIC: Any = ZoneInfo("America/Los_Angeles")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - systems without tz data
    _PACIFIC = timezone(timedelta(hours=-8))

#: units per call (platforms.md section 1 "Quota"); checked against the emulator in tests
QUOTA_COSTS: dict[str, int] = {
    "youtube.liveBroadcasts.insert": 50,
    "youtube.liveBroadcasts.list": 1,
    "youtube.liveBroadcasts.update": 50,
    "youtube.liveBroadcasts.bind": 50,
    "youtube.liveBroadcasts.transition": 50,
    "youtube.liveBroadcasts.delete": 50,
    "youtube.liveStreams.insert": 50,
    "youtube.liveStreams.list": 1,
    "youtube.videos.list": 1,
    "youtube.videos.update": 50,
    "youtube.thumbnails.set": 50,
    # live chat moderation: the delete cost is in the method's own page and the discovery
    # document; the bans' in determine_quota_cost
    "youtube.liveChatMessages.delete": 20,
    "youtube.liveChatBans.insert": 50,
    "youtube.liveChatBans.delete": 50,
}
#: where a broadcast's handle data keeps its chat bans: channel id -> ban id, as JSON
BANS_KEY = "chat_bans"
#: what a request the API rejected still costs
REJECTED_COST = 1

_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_RATE_REASONS = frozenset(
    {"rateLimitExceeded", "userRequestsExceedRateLimit", "userRateLimitExceeded"}
)
_AUTH_REASONS = frozenset({"authError", "invalid_grant", "invalid_token", "unauthorized_client"})
_TAG = re.compile(r"<[^>]+>")

_STATES: dict[str, BroadcastState] = {
    "created": BroadcastState.PENDING,
    "ready": BroadcastState.READY,
    "testStarting": BroadcastState.READY,
    "testing": BroadcastState.READY,
    "liveStarting": BroadcastState.LIVE,
    "live": BroadcastState.LIVE,
    "complete": BroadcastState.ENDED,
    "revoked": BroadcastState.FAILED,
}

ENCODER_POLLS = 5
ENCODER_WAIT = 2.0  # seconds between looks at the stream's status
ENCODER_NOT_SENDING = (
    "the encoder is not sending yet: start streaming to the ingest address with the stream key, "
    "wait until YouTube shows the stream as active, then start again"
)


_PRIVACY = ("public", "unlisted", "private")
_LATENCY = ("normal", "low", "ultraLow")  # liveBroadcast contentDetails.latencyPreference
_BOOLEANS = ("true", "false")
#: per-broadcast settings with a fixed set of values, and the values each accepts
SETTINGS: dict[str, tuple[str, ...]] = {
    "privacy": _PRIVACY,
    "made_for_kids": _BOOLEANS,
    "latency": _LATENCY,
    "dvr": _BOOLEANS,
}
#: thumbnails.set accepts JPEG and PNG up to 2 MB (the reference page; discovery says 50 MB)
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_CATEGORY = re.compile(r"[0-9]{1,3}")
_API_SUFFIX = "/youtube/v3"


def thumbnail_type(path: str) -> str:
    """The media type of a thumbnail file, or InvalidRequest saying what is wrong with it.

    Checked before anything is created, so a typo in the path never leaves a broadcast
    without the picture the admin asked for; the type comes from the file's first bytes,
    not its name.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise InvalidRequest("youtube", f"YouTube thumbnail {path} is not a file golive can read")
    size = file.stat().st_size
    if size > THUMBNAIL_MAX_BYTES:
        raise InvalidRequest(
            "youtube", f"YouTube thumbnail {path} is {size / 1048576:.1f} MB; the limit is 2 MB"
        )
    with file.open("rb") as handle:
        head = handle.read(8)
    for magic, media_type in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            return media_type
    raise InvalidRequest("youtube", f"YouTube thumbnail {path} must be a JPEG or PNG image")


def _read_thumbnail(path: str) -> tuple[str, bytes]:
    """Check again (the file may have changed since the settings were checked), then read."""
    media_type = thumbnail_type(path)
    return media_type, Path(path).expanduser().read_bytes()


def _check_category(value: str) -> None:
    if not _CATEGORY.fullmatch(value):
        raise InvalidRequest(
            "youtube", "YouTube category must be a video category id such as 20 (Gaming)"
        )


#: per-broadcast settings with a free value, each with the check that refuses a bad one
FREE_SETTINGS: dict[str, Callable[[str], object]] = {
    "category": _check_category,
    "thumbnail": thumbnail_type,
}


def upload_base(api_url: str) -> str:
    """The media-upload base beside an API base: ``…/youtube/v3`` -> ``…/upload/youtube/v3``.

    Google serves uploads under ``/upload`` on the same host, so an overridden API URL (a
    proxy or an emulator) carries its upload route with it. A base not ending in
    ``/youtube/v3`` gets ``/upload/youtube/v3`` on its host.
    """
    base = api_url.rstrip("/")
    if base.endswith(_API_SUFFIX):
        return base[: -len(_API_SUFFIX)] + "/upload" + _API_SUFFIX
    parsed = httpx.URL(base)
    return str(parsed.copy_with(path="/upload" + _API_SUFFIX, query=None, fragment=None))


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """YouTube's daily quota resets at midnight Pacific time."""
    now = (now or datetime.now(UTC)).astimezone(_PACIFIC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - now).total_seconds())


class QuotaExceeded(RateLimited):
    """The project's daily quota is spent; retrying before the reset only wastes time.

    Not transient, and ``retry_after`` is the time to the Pacific midnight reset, so the retry
    loop gives up at once and the service can say when YouTube works again.
    """

    transient = False

    def __init__(self, platform: str, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(
            platform,
            message,
            retry_after=retry_after if retry_after is not None else seconds_until_quota_reset(),
            **kw,
        )


def clean_text(text: str, limit: int) -> str:
    """YouTube refuses ``<`` and ``>`` in titles and descriptions and caps their length."""
    cleaned = text.replace("<", "‹").replace(">", "›").strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


class YouTube(Provider):
    name = "youtube"
    display_name = "YouTube"
    kind = Kind.LIVESTREAM
    auth_style = AuthStyle.OAUTH_PKCE
    default_endpoints = Endpoints(
        api_url="https://www.googleapis.com/youtube/v3",
        auth_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
    )
    scopes = ("https://www.googleapis.com/auth/youtube",)
    authorize_params: ClassVar[dict[str, str]] = {"access_type": "offline", "prompt": "consent"}
    capabilities = frozenset(
        {
            Capability.CREATE_BROADCAST,
            Capability.START_BROADCAST,
            Capability.STOP_BROADCAST,
            Capability.VIEWER_COUNT,
            Capability.RECORDING,
            Capability.CHAT_DELETE,
            Capability.TIMEOUT,
            Capability.BAN,
        }
    )
    # Google publishes no per-second limit for the Data API, only the daily quota; this pace
    # keeps a burst of /golive commands well clear of rateLimitExceeded.
    rate_limit = (10, 1.0)
    per_broadcast_ingest = True  # every broadcast is bound to a stream golive creates
    #: deployment defaults read from GOLIVE_YOUTUBE_PRIVACY and GOLIVE_YOUTUBE_CATEGORY; a
    #: broadcast's own setting wins
    option_names = ("privacy", "category")

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        """Refuse an unknown setting or value with one sentence naming the valid choices."""
        for name, value in settings.items():
            check = FREE_SETTINGS.get(name)
            if check is not None:
                check(value)
                continue
            choices = SETTINGS.get(name)
            if choices is None:
                known = ", ".join(sorted({*SETTINGS, *FREE_SETTINGS}))
                raise InvalidRequest(
                    cls.name, f"YouTube has no setting {name}; the settings are: {known}"
                )
            if value not in choices:
                raise InvalidRequest(
                    cls.name, f"YouTube {name} must be one of: {', '.join(choices)}"
                )

    def __init__(self, config: PlatformConfig, http: PlatformHttp) -> None:
        self.config = config
        self.http = http
        if http.parse_error is generic_error:
            # Without Google's parser a spent quota (403) would look like a bad request.
            http.parse_error = self.parse_error
        options = config.options
        #: how often and how long start_broadcast looks for the encoder before giving up
        self.encoder_polls = int(options.get("encoder_polls", ENCODER_POLLS))
        self.encoder_wait = float(options.get("encoder_wait_seconds", ENCODER_WAIT))
        #: the monitor stream makes YouTube require a "testing" phase before "live"
        self.monitor_stream = options.get("monitor_stream", "false") == "true"
        self.latency = options.get("latency_preference", "normal")
        self.resolution = options.get("resolution", "variable")
        self.frame_rate = options.get("frame_rate", "variable")
        #: units this provider spent since it was made, for "quota spent" displays
        self.quota_spent = 0

    def __repr__(self) -> str:
        return f"YouTube(api_url={self.http.base_url!r}, quota_spent={self.quota_spent})"

    # -- errors and quota ------------------------------------------------------------------------

    @staticmethod
    def parse_error(response: httpx.Response) -> ErrorInfo:
        """Google's ``{"error": {"code", "message", "errors": [{"reason"}]}}``, reason as code."""
        status = response.status_code
        auth_kind = AuthExpired if status == 401 else None
        try:
            body = response.json()
        except ValueError:
            return ErrorInfo(f"HTTP {status} {response.reason_phrase}".strip(), kind=auth_kind)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, str):  # the OAuth token endpoint's flat shape
            description = body.get("error_description") or error
            flat_kind = AuthExpired if auth_kind or error in _AUTH_REASONS else None
            return ErrorInfo(str(description), code=error, kind=flat_kind)
        if not isinstance(error, dict):
            return ErrorInfo(f"HTTP {status}", kind=auth_kind)
        items = error.get("errors") or []
        first = items[0] if items and isinstance(items[0], dict) else {}
        reason = first.get("reason") or error.get("status")
        message = error.get("message") or first.get("message") or reason or f"HTTP {status}"
        message = _TAG.sub("", str(message))
        kind: type[PlatformError] | None = auth_kind
        if reason in _QUOTA_REASONS:
            kind = QuotaExceeded
        elif reason in _RATE_REASONS or status == 429:
            kind = RateLimited
        return ErrorInfo(message, code=str(reason) if reason else None, kind=kind)

    async def _call(
        self,
        method_id: str,
        http_method: str,
        path: str,
        *,
        handle: BroadcastHandle | None = None,
        params: dict[str, str],
        body: dict[str, Any] | None = None,
        **kw: Any,
    ) -> Any:
        """One API call, with its quota units booked whether it worked or was rejected."""
        try:
            result = await self.http.json(http_method, path, params=params, json=body, **kw)
        except InvalidRequest:
            self._book(REJECTED_COST, handle)
            raise
        self._book(QUOTA_COSTS[method_id], handle)
        return result

    def _book(self, units: int, handle: BroadcastHandle | None) -> None:
        self.quota_spent += units
        if handle is not None:
            handle.quota_used += units

    # -- reads -----------------------------------------------------------------------------------

    async def _broadcast(self, handle: BroadcastHandle) -> dict[str, Any] | None:
        body = await self._call(
            "youtube.liveBroadcasts.list",
            "GET",
            "liveBroadcasts",
            handle=handle,
            params={"part": "id,snippet,status,contentDetails", "id": handle.remote_id},
        )
        items = (body or {}).get("items") or []
        return items[0] if items else None

    async def _stream_status(self, handle: BroadcastHandle) -> str | None:
        stream_id = handle.data.get("stream_id")
        if not stream_id:
            return None
        body = await self._call(
            "youtube.liveStreams.list",
            "GET",
            "liveStreams",
            handle=handle,
            params={"part": "id,status", "id": stream_id},
        )
        items = (body or {}).get("items") or []
        return items[0].get("status", {}).get("streamStatus") if items else None

    @staticmethod
    def _apply(handle: BroadcastHandle, broadcast: dict[str, Any]) -> BroadcastHandle:
        life = broadcast.get("status", {}).get("lifeCycleStatus", "created")
        handle.state = _STATES.get(life, BroadcastState.PENDING)
        handle.data["life_cycle_status"] = life
        chat = broadcast.get("snippet", {}).get("liveChatId")
        if chat:
            handle.data["live_chat_id"] = chat
        return handle

    # -- LivestreamProvider --------------------------------------------------------------------

    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle:
        defaults = {
            k: self.config.options[k] for k in self.option_names if k in self.config.options
        }
        settings = {**defaults, **request.settings}
        self.check_settings(settings)  # before any request, so nothing is half-made
        privacy = settings.get("privacy", request.privacy)
        if privacy not in _PRIVACY:
            raise InvalidRequest(
                self.name, "privacy must be public, unlisted or private", code="invalidPrivacy"
            )
        start = request.scheduled_start or datetime.now(UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        handle = BroadcastHandle(remote_id="", state=BroadcastState.PENDING)
        title = clean_text(request.title, 100) or "Live"
        broadcast = await self._call(
            "youtube.liveBroadcasts.insert",
            "POST",
            "liveBroadcasts",
            handle=handle,
            params={"part": "snippet,status,contentDetails"},
            body={
                "snippet": {
                    "title": title,
                    "description": clean_text(request.description, 5000),
                    "scheduledStartTime": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                },
                "status": {
                    "privacyStatus": privacy,
                    "selfDeclaredMadeForKids": settings.get("made_for_kids") == "true",
                },
                "contentDetails": {
                    "enableAutoStart": False,
                    "enableAutoStop": False,
                    "enableDvr": settings.get("dvr", "true") == "true",
                    "recordFromStart": request.record,
                    "latencyPreference": settings.get("latency", self.latency),
                    "monitorStream": {
                        "enableMonitorStream": self.monitor_stream,
                        "broadcastStreamDelayMs": 0,
                    },
                },
            },
        )
        handle.remote_id = broadcast["id"]
        handle.watch_url = f"https://www.youtube.com/watch?v={handle.remote_id}"
        try:
            stream = await self._call(
                "youtube.liveStreams.insert",
                "POST",
                "liveStreams",
                handle=handle,
                params={"part": "snippet,cdn,status"},
                body={
                    "snippet": {"title": title},
                    "cdn": {
                        "ingestionType": "rtmp",
                        "resolution": self.resolution,
                        "frameRate": self.frame_rate,
                    },
                },
            )
            bound = await self._call(
                "youtube.liveBroadcasts.bind",
                "POST",
                "liveBroadcasts/bind",
                handle=handle,
                params={
                    "part": "id,snippet,status,contentDetails",
                    "id": handle.remote_id,
                    "streamId": stream["id"],
                },
            )
            if settings.get("category"):
                await self._set_category(handle, title, request.description, settings["category"])
            if settings.get("thumbnail"):
                await self._set_thumbnail(handle, settings["thumbnail"])
        except PlatformError:
            await self._discard(handle)
            raise
        info = stream.get("cdn", {}).get("ingestionInfo", {})
        handle.ingest_url = info.get("rtmpsIngestionAddress") or info.get("ingestionAddress")
        if info.get("streamName"):
            handle.stream_key = SecretStr(info["streamName"])
        handle.data["stream_id"] = stream["id"]
        self._apply(handle, bound)
        handle.message = "waiting for the encoder"
        return handle

    async def update_broadcast(
        self, handle: BroadcastHandle, request: BroadcastRequest
    ) -> BroadcastHandle:
        """liveBroadcasts.update ``part=snippet``: title, description and the scheduled start
        (the part's values are all sent, as YouTube removes what an update leaves out)."""
        start = request.scheduled_start or datetime.now(UTC)
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        broadcast = await self._call(
            "youtube.liveBroadcasts.update",
            "PUT",
            "liveBroadcasts",
            handle=handle,
            params={"part": "id,snippet"},
            body={
                "id": handle.remote_id,
                "snippet": {
                    "title": clean_text(request.title, 100) or "Live",
                    "description": clean_text(request.description, 5000),
                    "scheduledStartTime": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                },
            },
        )
        handle.data["scheduled_start"] = start.astimezone(UTC).isoformat()
        if broadcast:
            chat = broadcast.get("snippet", {}).get("liveChatId")
            if chat:
                handle.data["live_chat_id"] = chat
        return handle

    async def _set_category(
        self, handle: BroadcastHandle, title: str, description: str, category: str
    ) -> None:
        """videos.update part=snippet; title and description go again or YouTube drops them."""
        await self._call(
            "youtube.videos.update",
            "PUT",
            "videos",
            handle=handle,
            params={"part": "snippet"},
            body={
                "id": handle.remote_id,
                "snippet": {
                    "title": title,
                    "description": clean_text(description, 5000),
                    "categoryId": category,
                },
            },
        )
        handle.data["category"] = category

    async def _set_thumbnail(self, handle: BroadcastHandle, path: str) -> None:
        """thumbnails.set as a simple media upload of the file's bytes."""
        media_type, data = await asyncio.to_thread(_read_thumbnail, path)
        await self._call(
            "youtube.thumbnails.set",
            "POST",
            upload_base(self.http.base_url) + "/thumbnails/set",
            handle=handle,
            params={"videoId": handle.remote_id, "uploadType": "media"},
            content=data,
            headers={"Content-Type": media_type},
        )
        handle.data["thumbnail"] = Path(path).name

    async def _discard(self, handle: BroadcastHandle) -> None:
        """Remove a half-made broadcast so a failed create leaves nothing on the channel."""
        with contextlib.suppress(PlatformError):
            await self._call(
                "youtube.liveBroadcasts.delete",
                "DELETE",
                "liveBroadcasts",
                handle=handle,
                params={"id": handle.remote_id},
            )

    async def _wait_for_encoder(self, handle: BroadcastHandle) -> None:
        for attempt in range(max(1, self.encoder_polls)):
            if await self._stream_status(handle) == "active":
                return
            if attempt + 1 < self.encoder_polls:
                await asyncio.sleep(self.encoder_wait)
        handle.message = "waiting for the encoder"
        raise InvalidRequest(self.name, ENCODER_NOT_SENDING, code="errorStreamInactive")

    async def _transition(self, handle: BroadcastHandle, status: str) -> dict[str, Any] | None:
        """A transition; a redundant one means YouTube is already there, which is fine."""
        try:
            return await self._call(
                "youtube.liveBroadcasts.transition",
                "POST",
                "liveBroadcasts/transition",
                handle=handle,
                params={
                    "part": "id,snippet,status",
                    "id": handle.remote_id,
                    "broadcastStatus": status,
                },
            )
        except InvalidRequest as exc:
            if exc.code == "redundantTransition":
                return await self._broadcast(handle)
            if exc.code == "errorStreamInactive":
                handle.message = "waiting for the encoder"
                raise InvalidRequest(
                    self.name, ENCODER_NOT_SENDING, code=exc.code, status=exc.status
                ) from exc
            raise

    async def _wait_for_life(self, handle: BroadcastHandle, wanted: str) -> None:
        """Wait out testStarting / liveStarting before the next transition."""
        for _ in range(max(1, self.encoder_polls)):
            broadcast = await self._broadcast(handle)
            if broadcast is not None:
                self._apply(handle, broadcast)
                if handle.data.get("life_cycle_status") == wanted:
                    return
            await asyncio.sleep(self.encoder_wait)
        raise InvalidRequest(
            self.name, f"YouTube did not reach the {wanted} state in time; try again"
        )

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        broadcast = await self._broadcast(handle)
        if broadcast is None:
            raise InvalidRequest(self.name, "the broadcast no longer exists on YouTube")
        self._apply(handle, broadcast)
        life = handle.data["life_cycle_status"]
        if life in ("live", "liveStarting"):
            handle.message = None
            return handle
        if life in ("complete", "revoked"):
            raise InvalidRequest(self.name, "the broadcast has already ended on YouTube")
        await self._wait_for_encoder(handle)
        monitor = broadcast.get("contentDetails", {}).get("monitorStream", {})
        if monitor.get("enableMonitorStream") and life in ("ready", "testStarting"):
            if life == "ready":
                tested = await self._transition(handle, "testing")
                if tested is not None:
                    self._apply(handle, tested)
            if handle.data.get("life_cycle_status") != "testing":
                await self._wait_for_life(handle, "testing")
        went_live = await self._transition(handle, "live")
        if went_live is not None:
            self._apply(handle, went_live)
        handle.message = None
        return handle

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        broadcast = await self._broadcast(handle)
        if broadcast is None:
            handle.state = BroadcastState.ENDED
            handle.message = "the broadcast no longer exists on YouTube"
            return handle
        self._apply(handle, broadcast)
        life = handle.data["life_cycle_status"]
        if life in ("complete", "revoked"):
            return handle
        if life in ("created", "ready"):
            # It never went live: an "upcoming" event would linger on the channel, so remove it.
            await self._call(
                "youtube.liveBroadcasts.delete",
                "DELETE",
                "liveBroadcasts",
                handle=handle,
                params={"id": handle.remote_id},
            )
            handle.state = BroadcastState.ENDED
            handle.data["life_cycle_status"] = "deleted"
            handle.message = "the broadcast never went live, so it was removed from YouTube"
            return handle
        ended = await self._transition(handle, "complete")
        if ended is not None:
            self._apply(handle, ended)
        handle.message = None
        return handle

    async def encoder_active(self, handle: BroadcastHandle) -> bool:
        """liveStreams.list: the bound stream's ``status.streamStatus`` is ``active``, i.e.
        YouTube receives the encoder's video (a transition to live needs that)."""
        return await self._stream_status(handle) == "active"

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle:
        broadcast = await self._broadcast(handle)
        if broadcast is None:
            handle.state = BroadcastState.FAILED
            handle.message = "the broadcast no longer exists on YouTube"
            return handle
        self._apply(handle, broadcast)
        if handle.state in (BroadcastState.PENDING, BroadcastState.READY):
            active = await self._stream_status(handle) == "active"
            handle.message = "the encoder is sending" if active else "waiting for the encoder"
        else:
            handle.message = None
        return handle

    async def viewer_count(self, handle: BroadcastHandle) -> int | None:
        """Concurrent viewers while live; None when hidden by the owner or not live."""
        body = await self._call(
            "youtube.videos.list",
            "GET",
            "videos",
            handle=handle,
            params={"part": "liveStreamingDetails", "id": handle.remote_id},
        )
        items = (body or {}).get("items") or []
        if not items:
            return None
        viewers = items[0].get("liveStreamingDetails", {}).get("concurrentViewers")
        try:
            return int(viewers) if viewers is not None else None
        except (TypeError, ValueError):
            return None

    # -- live chat moderation ----------------------------------------------------------------

    def _live_chat_id(self, handle: BroadcastHandle) -> str:
        chat = handle.data.get("live_chat_id")
        if not chat:
            raise InvalidRequest(self.name, "this YouTube broadcast has no live chat")
        return chat

    @staticmethod
    def _bans(handle: BroadcastHandle) -> dict[str, str]:
        try:
            stored = json.loads(handle.data.get(BANS_KEY) or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}

    async def delete_message(self, handle: BroadcastHandle, message_id: str) -> None:
        """``liveChatMessages.delete``: the message leaves the chat for every viewer."""
        await self._call(
            "youtube.liveChatMessages.delete",
            "DELETE",
            "liveChat/messages",
            handle=handle,
            params={"id": message_id},
        )

    async def ban(self, handle: BroadcastHandle, author_id: str, seconds: int | None) -> None:
        """``liveChatBans.insert``: permanent without ``seconds``, a time-out with them.

        The answer's ban id is kept in ``handle.data`` under :data:`BANS_KEY`, since
        ``liveChatBans.delete`` takes that id and YouTube offers no way to list bans."""
        snippet: dict[str, Any] = {
            "liveChatId": self._live_chat_id(handle),
            "type": "permanent" if seconds is None else "temporary",
            "bannedUserDetails": {"channelId": author_id},
        }
        if seconds is not None:
            snippet["banDurationSeconds"] = str(int(seconds))  # uint64, a string in JSON
        body = await self._call(
            "youtube.liveChatBans.insert",
            "POST",
            "liveChat/bans",
            handle=handle,
            params={"part": "snippet"},
            body={"snippet": snippet},
        )
        ban_id = (body or {}).get("id")
        if ban_id:
            bans = self._bans(handle)
            bans[author_id] = str(ban_id)
            handle.data[BANS_KEY] = json.dumps(bans, sort_keys=True)

    async def unban(self, handle: BroadcastHandle, author_id: str) -> None:
        """``liveChatBans.delete`` with the id kept when golive banned this author."""
        bans = self._bans(handle)
        ban_id = bans.get(author_id)
        if ban_id is None:
            raise InvalidRequest(
                self.name,
                "golive has no record of banning this author on YouTube, and YouTube can only "
                "lift a ban by its id: lift it in YouTube Studio",
                code="ban_unknown",
            )
        try:
            await self._call(
                "youtube.liveChatBans.delete",
                "DELETE",
                "liveChat/bans",
                handle=handle,
                params={"id": ban_id},
            )
        except InvalidRequest as exc:
            if exc.code != "liveChatBanNotFound":  # already lifted or expired: forget it
                raise
        del bans[author_id]
        handle.data[BANS_KEY] = json.dumps(bans, sort_keys=True)

    async def find_recordings(self, handle: BroadcastHandle) -> Lookup:
        """The broadcast's own video is its recording, once the broadcast is complete, it was
        recorded (``recordFromStart``) and YouTube finished processing it."""
        broadcast = await self._broadcast(handle)
        if broadcast is None:
            return NoRecording("the broadcast no longer exists on YouTube")
        status = broadcast.get("status", {})
        if status.get("lifeCycleStatus") != "complete":
            return Processing("the broadcast has not ended on YouTube yet")
        recorded = status.get("recordingStatus") == "recorded"
        if not recorded and not broadcast.get("contentDetails", {}).get("recordFromStart"):
            return NoRecording("recording was off for this broadcast")
        body = await self._call(
            "youtube.videos.list",
            "GET",
            "videos",
            handle=handle,
            params={"part": "status,processingDetails", "id": handle.remote_id},
        )
        items = (body or {}).get("items") or []
        if not items:
            return NoRecording("YouTube has no video for this broadcast")
        video = items[0]
        upload = video.get("status", {}).get("uploadStatus")
        processing = video.get("processingDetails", {}).get("processingStatus")
        if upload in ("failed", "rejected", "deleted") or processing in ("failed", "terminated"):
            return NoRecording(f"YouTube could not keep the recording ({upload or processing})")
        if upload != "processed" or processing not in (None, "succeeded"):
            return Processing("YouTube is still processing the recording")
        url = f"https://www.youtube.com/watch?v={handle.remote_id}"
        return Found((Recording(url=url, kind="video", label="YouTube video"),))


PROVIDER = YouTube
