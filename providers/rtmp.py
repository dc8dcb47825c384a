"""A custom RTMP destination: any ingest URL and stream key the admin pastes.

There is no API behind it, so golive automates nothing on the destination's side: it stores
the URL and key (encrypted, through the connection's vault), hands them out in the ingest plan
and shows a watch link only when the admin gave one. The encoder decides when it is live.

Also home of the argument parsing shared with other stream-key platforms (Instagram): the
rules for URLs, keys and expiries are the same, and error sentences never repeat what was
typed, because what was typed may be the key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from pydantic import SecretStr

from providers.base import (
    AuthStyle,
    BroadcastHandle,
    BroadcastRequest,
    BroadcastState,
    Credentials,
    Endpoints,
    Kind,
    PlatformConfig,
    Provider,
)
from providers.errors import InvalidRequest, NotConnected

_DURATION = re.compile(r"^(\d{1,4})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def split_options(platform: str, args: Sequence[str], names: tuple[str, ...]) -> dict[str, str]:
    """``name=value`` words into a dict; refuses names it does not know (without echoing)."""
    options: dict[str, str] = {}
    for word in args:
        name, sep, value = word.partition("=")
        if not sep or name.lower() not in names:
            allowed = ", ".join(f"{n}=…" for n in names)
            raise InvalidRequest(
                platform,
                f"after the URL and key only {allowed} may follow",
                code="bad_arguments",
            )
        options[name.lower()] = value
    return options


def check_url(
    platform: str,
    url: str,
    *,
    schemes: tuple[str, ...],
    hosts: tuple[str, ...] = (),
    what: str = "stream URL",
) -> str:
    """An ingest (or watch) URL with one of ``schemes`` and, when given, one of ``hosts``."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        parts = None
    scheme_list = " or ".join(f"{s}://" for s in schemes)
    if parts is None or parts.scheme.lower() not in schemes or not parts.hostname:
        raise InvalidRequest(
            platform, f"the {what} must be a {scheme_list} address", code="bad_url"
        )
    if parts.username or parts.password or any(c.isspace() for c in url):
        raise InvalidRequest(
            platform, f"the {what} must be a plain {scheme_list} address", code="bad_url"
        )
    if hosts and parts.hostname.lower() not in hosts:
        raise InvalidRequest(
            platform, f"the {what} must be on {' or '.join(hosts)}", code="bad_host"
        )
    return url


def check_key(platform: str, key: str) -> str:
    if not key or any(c.isspace() or not c.isprintable() for c in key):
        raise InvalidRequest(
            platform, "the stream key must be one word with no spaces", code="bad_key"
        )
    return key


def parse_expiry(platform: str, text: str, now: datetime | None = None) -> datetime:
    """``24h`` / ``7d`` / ``90m`` from now, or an ISO 8601 date or time (UTC unless it says)."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text.strip().lower())
    if match:
        when = now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    else:
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidRequest(
                platform,
                "the expiry must be a time such as 2026-12-31T18:00Z or a duration such as 24h",
                code="bad_expiry",
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when <= now:
        raise InvalidRequest(
            platform, "the key's expiry is already past: paste a fresh key", code="expired"
        )
    return when.astimezone(UTC)


def stream_handle(credentials: Credentials, platform: str, reconnect: str) -> tuple[str, SecretStr]:
    """The stored ingest URL and key, or NotConnected saying how to paste them again."""
    url = credentials.extra.get("ingest_url")
    key = credentials.extra.get("stream_key")
    if not url or not key:
        raise NotConnected(platform, f"no stream key is stored: {reconnect}")
    return url, SecretStr(key)


def new_remote_id(platform: str) -> str:
    """A local id: these destinations create nothing remote to point at."""
    return f"{platform}-{secrets.token_hex(6)}"


class CustomRtmp(Provider):
    name = "rtmp"
    display_name = "Custom RTMP"
    kind = Kind.LIVESTREAM
    auth_style = AuthStyle.STREAM_KEY
    default_endpoints = Endpoints(api_url="")
    #: nothing can be automated without an API: no create, start or stop on the far side
    capabilities = frozenset()
    example_args = (
        "rtmps://live.example.com:443/app",
        "sandbox-stream-key",
        "watch=https://example.com/live",
    )
    RECONNECT = "/platforms connect rtmp URL KEY [watch=https://…]"

    def __init__(self, config: PlatformConfig, credentials: Credentials | None) -> None:
        self.config = config
        self.credentials = credentials or Credentials()
        # The admin's own watch page is the one link this destination may hand out.
        host = urlsplit(self.credentials.extra.get("watch_url", "")).hostname
        self.link_domains = (host,) if host else ()  # type: ignore[misc]

    def __repr__(self) -> str:
        return "CustomRtmp()"

    @classmethod
    def credentials_from_args(cls, args: Sequence[str]) -> tuple[Credentials, str]:
        if len(args) < 2:
            raise InvalidRequest(
                cls.name, f"give the ingest URL and the stream key: {cls.RECONNECT}", code="usage"
            )
        url = check_url(cls.name, args[0], schemes=("rtmp", "rtmps"))
        key = check_key(cls.name, args[1])
        options = split_options(cls.name, args[2:], ("watch",))
        watch = options.get("watch", "")
        if watch:
            check_url(cls.name, watch, schemes=("https",), what="watch URL")
        host = urlsplit(url).hostname or "rtmp"
        extra = {"ingest_url": url, "stream_key": key, "watch_url": watch}
        return Credentials(extra=extra), host

    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle:
        url, key = stream_handle(self.credentials, self.name, self.RECONNECT)
        return BroadcastHandle(
            remote_id=new_remote_id(self.name),
            state=BroadcastState.READY,
            watch_url=self.credentials.extra.get("watch_url") or None,
            ingest_url=url,
            stream_key=key,
            message="send the encoder's output to this URL and key",
        )

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        handle.state = BroadcastState.LIVE
        handle.message = (
            "golive cannot start a custom RTMP destination: it is live while the encoder sends"
        )
        return handle

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        handle.state = BroadcastState.ENDED
        handle.message = "stop the encoder's output to end it: golive cannot stop it"
        return handle

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle:
        return handle  # nothing to ask: the destination has no API


PROVIDER = CustomRtmp
