"""Instagram Live through a stream key from Instagram's Live Producer.

No public API creates, starts or ends an Instagram live broadcast: the Instagram Graph API's
``IG User Live Media`` edge documents "Creating — This operation is not supported", and there
is no ``live_videos`` equivalent. What exists is Live Producer on instagram.com (Add post →
Live → title and audience), which shows an RTMPS URL and a stream key for an encoder. So:

- the admin pastes that URL and key with ``/platforms connect instagram URL KEY
  [expires=…] [user=…]``; golive stores them encrypted with their expiry;
- a broadcast hands out that ingest in the plan and links to the account's profile;
- going live and ending are done by a person in Live Producer (or the app): golive says so
  at ``start`` and ``stop`` instead of pretending to do it.

Pages followed:
- https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/live_media
  (reading live media only; creating is not supported)
- https://about.instagram.com/blog/tips-and-tricks/instagram-live-producer (Live Producer:
  URL and stream key for streaming software, RTMPS; access is limited)

The ingest host golive accepts is ``live-upload.instagram.com``, the one Live Producer hands
out; Instagram does not publish it elsewhere, so a different host is refused rather than
guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

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
from providers.errors import AuthExpired, InvalidRequest
from providers.rtmp import (
    check_key,
    check_url,
    new_remote_id,
    parse_expiry,
    split_options,
    stream_handle,
)

INGEST_HOSTS = ("live-upload.instagram.com",)
PROFILE = "https://www.instagram.com/{user}/"
RECONNECT = "paste a new key from Live Producer: /platforms connect instagram URL KEY"
_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")
START_NOTE = (
    "golive cannot start Instagram Live: with the encoder sending, press Go live in Live "
    "Producer on instagram.com"
)
STOP_NOTE = "golive cannot end Instagram Live: press End in Live Producer on instagram.com"


class Instagram(Provider):
    name = "instagram"
    display_name = "Instagram"
    kind = Kind.LIVESTREAM
    auth_style = AuthStyle.STREAM_KEY
    default_endpoints = Endpoints(api_url="https://graph.facebook.com/v26.0")
    #: Instagram offers no API to create, start or stop a live broadcast
    capabilities = frozenset()
    link_domains = ("instagram.com",)
    example_args = (
        "rtmps://live-upload.instagram.com:443/rtmp/",
        "17900000000000000?s_bl=1&s_sw=0&s_vt=ig&a=sandbox",
        "expires=24h",
        "user=golive.sandbox",
    )

    def __init__(self, config: PlatformConfig, credentials: Credentials | None) -> None:
        self.config = config
        self.credentials = credentials or Credentials()

    def __repr__(self) -> str:
        user = self.credentials.extra.get("username") or None
        return f"Instagram(username={user!r})"

    @classmethod
    def credentials_from_args(cls, args: Sequence[str]) -> tuple[Credentials, str]:
        """``URL KEY [expires=24h|2026-12-31T18:00Z] [user=name]`` from Live Producer."""
        if len(args) < 2:
            raise InvalidRequest(
                cls.name,
                "give the stream URL and key from Live Producer: /platforms connect instagram "
                "URL KEY [expires=24h] [user=name]",
                code="usage",
            )
        url = check_url(cls.name, args[0], schemes=("rtmps",), hosts=INGEST_HOSTS)
        key = check_key(cls.name, args[1])
        options = split_options(cls.name, args[2:], ("expires", "user"))
        expires_at = parse_expiry(cls.name, options["expires"]) if "expires" in options else None
        username = options.get("user", "").lstrip("@")
        if "user" in options and not _USERNAME.match(username):
            raise InvalidRequest(
                cls.name,
                "the Instagram username may only hold letters, digits, dots and underscores",
                code="bad_user",
            )
        extra = {
            "ingest_url": url,
            "stream_key": key,
            "username": username,
            "expires_at": expires_at.isoformat() if expires_at else "",
        }
        label = f"@{username}" if username else "Live Producer key"
        return Credentials(expires_at=expires_at, extra=extra), label

    def _expired(self) -> bool:
        raw = self.credentials.extra.get("expires_at") or ""
        when = self.credentials.expires_at or (datetime.fromisoformat(raw) if raw else None)
        return when is not None and when <= datetime.now(UTC)

    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle:
        url, key = stream_handle(self.credentials, self.name, RECONNECT)
        if self._expired():
            raise AuthExpired(self.name, f"the Live Producer stream key expired: {RECONNECT}")
        user = self.credentials.extra.get("username")
        return BroadcastHandle(
            remote_id=new_remote_id(self.name),
            state=BroadcastState.READY,
            watch_url=PROFILE.format(user=user) if user else None,
            ingest_url=url,
            stream_key=key,
            message=(
                "send the encoder to this URL and key, then go live in Instagram's app or Live "
                "Producer: golive cannot start Instagram"
            ),
        )

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        handle.state = BroadcastState.LIVE
        handle.message = START_NOTE
        return handle

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle:
        handle.state = BroadcastState.ENDED
        handle.message = STOP_NOTE
        return handle

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle:
        """Nothing to ask Instagram; a key that expired meanwhile is worth saying."""
        if self._expired() and handle.state is BroadcastState.READY:
            handle.message = f"the Live Producer stream key expired: {RECONNECT}"
        return handle


PROVIDER = Instagram
