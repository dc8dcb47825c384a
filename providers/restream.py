"""Restream through its REST API v2: one ingest that Restream forwards to many channels.

Restream has no per-broadcast object golive has to create: the account has one stream key
and a list of channels (destinations), each enabled or not. A golive broadcast on Restream
therefore enables exactly the channels chosen for it, remembers how every channel was set
before, and puts them all back when the broadcast stops. Like Twitch, Restream has no API to
go live: the encoder does, and an in-progress event shows that it is sending.

Pages followed (https://developers.restream.io):
- /authentication (authorize at ``https://api.restream.io/login``, token at
  ``/oauth/token``; each refresh invalidates the old access and refresh tokens);
- /channels/channel-list (``GET /user/channel/all``), /channels/channel-update
  (``PATCH /user/channel/{id}`` with ``{"active": bool}``, empty body on success),
  /channels/channel-meta-update (``PATCH /user/channel-meta/{id}`` with ``title`` and an
  optional ``description``);
- /public-api/platforms (``GET /platform/all``) and /public-api/servers (``GET /server/all``,
  the ``Autodetect`` server first in the documented example);
- /private-api/stream-key (``GET /user/streamKey``), /private-api/profile
  (``GET /user/profile``), /events/in-progress-events (``GET /user/events/in-progress``);
- the error JSON every page shows: ``{"error": {"statusCode", "status", "code", "message",
  "name"}}``. Rate limits are not documented; a 429 is honoured through ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
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

TITLE_LIMIT = 100  # the strictest common destination (YouTube); Restream documents none
WAITING = "waiting for the encoder"
STILL_SENDING = "Restream is still receiving the stream: stop the encoder"
NO_WATCH_PAGE = "Restream has no single watch page; it sends the stream to"
ENCODER_POLLS = 3
ENCODER_WAIT = 1.0
#: a broadcast starting later than this after create gets its channels chosen at start
DEFER_AFTER = timedelta(minutes=15)
_TOKEN = re.compile(r"^[\w .&'-]{1,80}$")
#: Restream platform names -> golive platform names, where golive has the platform too
_GOLIVE_NAMES = ("youtube", "twitch", "facebook", "instagram")


def platform_key(name: str) -> str:
    """A platform's name as people type it: ``"Facebook Page"`` -> ``facebook``."""
    flat = re.sub(r"[^a-z0-9]", "", name.casefold())
    for known in _GOLIVE_NAMES:
        if flat.startswith(known):
            return known
    return flat


def parse_flags(raw: str) -> dict[str, bool]:
    """``"12:1,34:0"`` -> ``{"12": True, "34": False}`` (handle data holds only strings)."""
    flags: dict[str, bool] = {}
    for item in raw.split(","):
        channel, sep, flag = item.partition(":")
        if sep and channel:
            flags[channel] = flag == "1"
    return flags


def format_flags(flags: Mapping[str, bool]) -> str:
    return ",".join(f"{channel}:{int(active)}" for channel, active in flags.items())


class Restream(Provider):
    name = "restream"
    display_name = "Restream"
    kind = Kind.LIVESTREAM
    auth_style = AuthStyle.OAUTH_PKCE
    default_endpoints = Endpoints(
        api_url="https://api.restream.io/v2",
        auth_url="https://api.restream.io/login",
        token_url="https://api.restream.io/oauth/token",
    )
    scopes = ("profile.read", "channels.read", "channels.write", "stream.read", "chat.read")
    capabilities = frozenset(
        {Capability.CREATE_BROADCAST, Capability.START_BROADCAST, Capability.STOP_BROADCAST}
    )
    rate_limit = (5, 1.0)  # undocumented; a gentle pace
    #: GOLIVE_RESTREAM_CHANNELS (default channel choice), GOLIVE_RESTREAM_INGEST_SERVER
    option_names: ClassVar[tuple[str, ...]] = ("channels", "ingest_server")
    #: the encoder sends to Restream only; the ingest plan leaves out what Restream carries
    aggregates_ingest: ClassVar[bool] = True

    def __init__(self, config: PlatformConfig, http: PlatformHttp) -> None:
        self.config = config
        self.http = http
        if http.parse_error is generic_error:
            http.parse_error = self.parse_error
        options = config.options
        self.default_channels = options.get("channels", "").strip()
        self.ingest_server = options.get("ingest_server", "").strip()
        self.encoder_polls = int(options.get("encoder_polls", ENCODER_POLLS))
        self.encoder_wait = float(options.get("encoder_wait_seconds", ENCODER_WAIT))

    def __repr__(self) -> str:
        return f"Restream(api_url={self.http.base_url!r})"

    # -- contract helpers ------------------------------------------------------------------

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        unknown = sorted(set(settings) - {"channels"})
        if unknown:
            raise InvalidRequest(
                cls.name,
                f"Restream has no setting {', '.join(unknown)}; its setting is: channels",
            )
        if "channels" in settings:
            tokens = [t.strip() for t in settings["channels"].split(",")]
            if not tokens or any(not _TOKEN.match(t) for t in tokens):
                raise InvalidRequest(
                    cls.name,
                    "Restream channels are channel ids or platform names separated by commas, "
                    "e.g. channels=twitch,youtube",
                )

    @staticmethod
    def parse_error(response: httpx.Response) -> ErrorInfo:
        """``{"error": {"message", "name", ...}}``, or OAuth's flat ``error`` string."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        message = code = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            message, code = error.get("message"), error.get("name") or error.get("code")
        elif isinstance(error, str):
            message, code = body.get("error_description") or error, error  # type: ignore[union-attr]
        message = str(message or f"HTTP {status} {response.reason_phrase}".strip())
        kind: type[PlatformError] | None = None
        if status == 401 or code in ("invalid_token", "invalid_grant", "insufficient_scope"):
            # A missing scope is fixed the same way as a dead token: connect again.
            kind = AuthExpired
        elif status == 429:
            kind = RateLimited
        return ErrorInfo(message, code=str(code) if code is not None else None, kind=kind)

    # -- reads -----------------------------------------------------------------------------

    async def _list(self, path: str) -> list[dict[str, Any]]:
        body = await self.http.json("GET", path)
        return [item for item in body or [] if isinstance(item, dict)]

    async def _channels(self) -> list[dict[str, Any]]:
        return await self._list("user/channel/all")

    async def _platforms(self) -> dict[int, str]:
        return {int(p["id"]): str(p.get("name", "")) for p in await self._list("platform/all")}

    async def _live_event(self) -> dict[str, Any] | None:
        for event in await self._list("user/events/in-progress"):
            if not event.get("isRecordOnly"):
                return event
        return None

    def _ingest(self, servers: Sequence[dict[str, Any]]) -> str | None:
        wanted = self.ingest_server.casefold()
        for server in servers:
            names = {str(server.get(k, "")).casefold() for k in ("id", "name", "url")}
            if wanted and wanted in names:
                return server.get("rtmpUrl")
        if wanted:
            raise InvalidRequest(self.name, f"Restream has no ingest server {self.ingest_server!r}")
        for server in servers:
            if str(server.get("name", "")).casefold() == "autodetect":
                return server.get("rtmpUrl")
        return servers[0].get("rtmpUrl") if servers else None

    @staticmethod
    def _label(channel: dict[str, Any], platforms: Mapping[int, str]) -> str:
        platform = platforms.get(int(channel.get("streamingPlatformId", 0)), "channel")
        return f"{platform} ({channel.get('displayName') or channel.get('id')})"

    def select(
        self, channels: Sequence[dict[str, Any]], platforms: Mapping[int, str], choice: str
    ) -> list[str]:
        """Channel ids for a choice of ids or platform names; empty choice: the enabled ones."""
        if not choice:
            enabled = [str(c["id"]) for c in channels if c.get("active")]
            if not enabled:
                raise InvalidRequest(
                    self.name,
                    "no Restream channel is enabled: choose some with the setting "
                    "channels=twitch,youtube (channel ids or platform names)",
                )
            return enabled
        chosen: list[str] = []
        for token in (t.strip() for t in choice.split(",")):
            key = platform_key(token)
            matches = [
                str(c["id"])
                for c in channels
                if str(c["id"]) == token
                or platform_key(platforms.get(int(c.get("streamingPlatformId", 0)), "")) == key
            ]
            if not matches:
                known = ", ".join(f"{c['id']} {self._label(c, platforms)}" for c in channels)
                raise InvalidRequest(
                    self.name,
                    f"Restream has no channel {token!r}; its channels: {known or 'none'}",
                    code="channel",
                )
            chosen.extend(m for m in matches if m not in chosen)
        return chosen

    # -- channel switching -------------------------------------------------------------------

    async def _set_active(self, channel_id: str, active: bool) -> None:
        await self.http.request("PATCH", f"user/channel/{channel_id}", json={"active": active})

    async def _apply(self, handle: BroadcastHandle) -> None:
        """Enable exactly the chosen channels (each changed once) and set their titles."""
        chosen = [c for c in handle.data.get("channels", "").split(",") if c]
        current = {str(c["id"]): bool(c.get("active")) for c in await self._channels()}
        missing = [c for c in chosen if c not in current]
        if missing:
            raise InvalidRequest(
                self.name, f"the Restream channel {missing[0]} no longer exists", code="channel"
            )
        handle.data["previous_active"] = format_flags(current)
        changed: list[str] = []
        try:
            for channel_id, active in current.items():
                wanted = channel_id in chosen
                if active != wanted:
                    await self._set_active(channel_id, wanted)
                    changed.append(channel_id)
            meta: dict[str, str] = {"title": handle.data.get("title") or "Live"}
            if handle.data.get("description"):
                meta["description"] = handle.data["description"]
            for channel_id in chosen:
                await self.http.request("PATCH", f"user/channel-meta/{channel_id}", json=meta)
        except PlatformError:
            # Leave the account as it was rather than half switched.
            for channel_id in changed:
                with contextlib.suppress(PlatformError):
                    await self._set_active(channel_id, current[channel_id])
            handle.data.pop("previous_active", None)
            raise
        handle.data["applied"] = "true"

    async def _restore(self, handle: BroadcastHandle) -> int:
        """Put every channel back as it was before this broadcast; returns how many changed."""
        previous = parse_flags(handle.data.get("previous_active", ""))
        if not previous or handle.data.get("restored") == "true":
            return 0
        changed = 0
        for channel in await self._channels():
            channel_id = str(channel["id"])
            if channel_id in previous and bool(channel.get("active")) != previous[channel_id]:
                await self._set_active(channel_id, previous[channel_id])
                changed += 1
        handle.data["restored"] = "true"
        return changed

    # -- LivestreamProvider --------------------------------------------------------------------

    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle:
        self.check_settings(request.settings)
        profile = await self.http.json("GET", "user/profile") or {}
        channels = await self._channels()
        platforms = await self._platforms()
        choice = request.settings.get("channels") or self.default_channels
        chosen = self.select(channels, platforms, choice)
        by_id = {str(c["id"]): c for c in channels}
        key_body = await self.http.json("GET", "user/streamKey") or {}
        key = key_body.get("streamKey")
        if not key:
            raise InvalidRequest(self.name, "Restream returned no stream key")
        ingest = self._ingest(await self._list("server/all"))
        title = request.title.strip()[:TITLE_LIMIT] or "Live"
        carried = [
            platform_key(platforms.get(int(by_id[c].get("streamingPlatformId", 0)), ""))
            for c in chosen
        ]
        handle = BroadcastHandle(
            remote_id=str(profile.get("id") or "restream"),
            state=BroadcastState.READY,
            watch_url=None,
            ingest_url=ingest,
            stream_key=SecretStr(str(key)),
            data={
                "channels": ",".join(chosen),
                "carries": ",".join(dict.fromkeys(p for p in carried if p)),
                "title": title,
                "description": request.description.strip(),
            },
        )
        labels = ", ".join(self._label(by_id[c], platforms) for c in chosen)
        start = request.scheduled_start
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        if start is not None and start - datetime.now(UTC) > DEFER_AFTER:
            handle.message = f"{NO_WATCH_PAGE} {labels} (channels are switched at start)"
        else:
            await self._apply(handle)
            handle.message = f"{NO_WATCH_PAGE} {labels}"
        handle.data["summary"] = labels
        return handle

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        if handle.data.get("applied") != "true":
            await self._apply(handle)
        for attempt in range(max(1, self.encoder_polls)):
            event = await self._live_event()
            if event is not None:
                handle.state = BroadcastState.LIVE
                handle.data["event_id"] = str(event.get("id", ""))
                handle.message = f"{NO_WATCH_PAGE} {handle.data.get('summary', 'its channels')}"
                return handle
            if attempt + 1 < self.encoder_polls:
                await asyncio.sleep(self.encoder_wait)
        handle.state = BroadcastState.READY
        handle.message = WAITING
        return handle

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        sending = await self._live_event() is not None
        restored = await self._restore(handle)
        handle.state = BroadcastState.ENDED
        notes = []
        if restored:
            notes.append(f"{restored} Restream channel(s) set back as they were")
        if sending:
            notes.append(STILL_SENDING)
        handle.message = "; ".join(notes) or None
        return handle

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle:
        event = await self._live_event()
        if handle.state is BroadcastState.ENDED:
            handle.message = STILL_SENDING if event is not None else None
        elif event is not None:
            handle.state = BroadcastState.LIVE
            handle.message = f"{NO_WATCH_PAGE} {handle.data.get('summary', 'its channels')}"
        else:
            handle.state = BroadcastState.READY
            handle.message = WAITING
        return handle


PROVIDER = Restream
