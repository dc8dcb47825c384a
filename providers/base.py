"""What every platform module offers, so services and views never branch on a platform's name.

A provider class declares itself with class attributes (name, kind, auth style, default
endpoints, scopes, capabilities) and implements the protocol of its kind. The registry in
``providers/__init__.py`` finds it by name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import SecretStr

if TYPE_CHECKING:
    import httpx


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def setting_flag(platform: str, name: str, value: str) -> bool:
    """A yes/no per-platform setting as people type it (true/yes/on/1, false/no/off/0)."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    from providers import provider_class
    from providers.errors import InvalidRequest

    label = provider_class(platform).display_name
    raise InvalidRequest(
        platform, f"{label} setting {name} must be true or false (or yes/no), not {value!r}"
    )


class Kind(StrEnum):
    LIVESTREAM = "livestream"
    MEETING = "meeting"


class AuthStyle(StrEnum):
    OAUTH_PKCE = "oauth_pkce"  # authorization code + PKCE, refresh tokens
    CLIENT_CREDENTIALS = "client_credentials"  # server-to-server grant
    STREAM_KEY = "stream_key"  # admin pastes an ingest URL + key
    NONE = "none"  # nothing to connect (public Jitsi)


class Capability(StrEnum):
    CREATE_BROADCAST = "can_create_broadcast"
    START_BROADCAST = "can_start_broadcast"
    STOP_BROADCAST = "can_stop_broadcast"
    CREATE_MEETING = "can_create_meeting"
    UPDATE_MEETING = "can_update_meeting"
    DELETE_MEETING = "can_delete_meeting"
    PER_PERSON_LINKS = "per_person_links"
    CHAT_READ = "chat_read"
    CHAT_DELETE = "chat_delete"
    BAN = "ban"
    TIMEOUT = "timeout"
    VIEWER_COUNT = "viewer_count"
    RECORDING = "recording"


class BroadcastState(StrEnum):
    PENDING = "pending"
    READY = "ready"
    LIVE = "live"
    ENDED = "ended"
    FAILED = "failed"
    CANCELLED = "cancelled"  # called off in golive before it went live


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of one platform; the API base includes the version path the platform documents."""

    api_url: str
    auth_url: str | None = None
    token_url: str | None = None

    @classmethod
    def from_env(cls, platform: str, defaults: Endpoints, env: dict[str, str] | None = None):
        """Apply ``GOLIVE_<PLATFORM>_API_URL`` / ``_AUTH_URL`` / ``_TOKEN_URL`` overrides."""
        env = dict(os.environ) if env is None else env
        prefix = f"GOLIVE_{platform.upper()}_"
        return cls(
            api_url=(env.get(prefix + "API_URL") or defaults.api_url).rstrip("/"),
            auth_url=env.get(prefix + "AUTH_URL") or defaults.auth_url,
            token_url=env.get(prefix + "TOKEN_URL") or defaults.token_url,
        )


@dataclass
class Credentials:
    """A connection's secrets. ``repr`` never shows them."""

    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # e.g. ingest url/key, page token

    def __repr__(self) -> str:
        return (
            f"Credentials(access_token={'***' if self.access_token else None}, "
            f"refresh_token={'***' if self.refresh_token else None}, "
            f"expires_at={self.expires_at!r}, scopes={self.scopes!r}, "
            f"extra_keys={sorted(self.extra)!r})"
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the vault; only ever handed to the vault's encrypt."""
        return {
            "access_token": self.access_token.get_secret_value() if self.access_token else None,
            "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "scopes": list(self.scopes),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        return cls(
            access_token=SecretStr(data["access_token"]) if data.get("access_token") else None,
            refresh_token=SecretStr(data["refresh_token"]) if data.get("refresh_token") else None,
            expires_at=datetime.fromisoformat(data["expires_at"])
            if data.get("expires_at")
            else None,
            scopes=tuple(data.get("scopes") or ()),
            extra=dict(data.get("extra") or {}),
        )


#: Called with fresh credentials whenever a provider refreshed a token, so it is persisted.
OnRefresh = Callable[[Credentials], Awaitable[None]]


@dataclass(frozen=True)
class PlatformConfig:
    """Everything a provider needs from outside: endpoints and the app's own OAuth client."""

    endpoints: Endpoints
    client_id: str | None = None
    client_secret: SecretStr | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BroadcastRequest:
    title: str
    description: str = ""
    scheduled_start: datetime | None = None
    record: bool = False
    privacy: str = "public"
    #: this platform's own settings (YouTube category, Facebook page, Twitch category, ...),
    #: validated by the provider's ``check_settings`` before anything is created anywhere
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass
class BroadcastHandle:
    """One platform's side of a broadcast, as the service stores it."""

    remote_id: str
    state: BroadcastState
    watch_url: str | None = None
    ingest_url: str | None = None
    stream_key: SecretStr | None = None
    data: dict[str, str] = field(default_factory=dict)  # platform ids needed later
    quota_used: int = 0
    message: str | None = None  # a platform's note, e.g. "waiting for the encoder"

    def __repr__(self) -> str:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["stream_key"] = "***" if self.stream_key else None
        inner = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"BroadcastHandle({inner})"


@dataclass(frozen=True)
class MeetingRequest:
    title: str
    start: datetime | None = None
    duration_minutes: int = 60
    record: bool = False
    timezone: str = "UTC"
    #: this platform's own settings (waiting_room, join_before_host, passcode, lobby_bypass ...)
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass
class MeetingHandle:
    remote_id: str
    join_url: str
    host_url: SecretStr | None = None  # a host's start link is a secret
    passcode: SecretStr | None = None
    data: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"MeetingHandle(remote_id={self.remote_id!r}, join_url={self.join_url!r}, "
            f"host_url={'***' if self.host_url else None}, "
            f"passcode={'***' if self.passcode else None})"
        )


class Provider:
    """Common class attributes; concrete providers also implement one protocol below.

    Construction: ``cls(config, http)`` with a :class:`providers.http.PlatformHttp` for API
    platforms, ``cls(config, credentials)`` for ``AuthStyle.STREAM_KEY`` platforms (they have
    no API to call) and ``cls(config, None)`` for ``AuthStyle.NONE``.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    kind: ClassVar[Kind]
    auth_style: ClassVar[AuthStyle]
    default_endpoints: ClassVar[Endpoints]
    scopes: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: documented request budget we pace ourselves to: (requests, per seconds)
    rate_limit: ClassVar[tuple[int, float]] = (10, 1.0)
    #: extra parameters the platform's authorize endpoint needs (e.g. access_type=offline)
    authorize_params: ClassVar[dict[str, str]] = {}
    #: deployment options read from ``GOLIVE_<PLATFORM>_<OPTION>`` into ``PlatformConfig.options``
    #: (lower-case names here, e.g. ``("account_id",)`` reads ``GOLIVE_ZOOM_ACCOUNT_ID``)
    option_names: ClassVar[tuple[str, ...]] = ()
    #: the only hosts (or their subdomains) whose https links this platform may hand out
    link_domains: ClassVar[tuple[str, ...]] = ()
    #: the platform makes a new stream (and key) for every broadcast, so an aggregator that
    #: forwards to the same account (Restream's own YouTube link) does not feed golive's
    #: broadcast there: it still needs its own output
    per_broadcast_ingest: ClassVar[bool] = False
    #: ``AuthStyle.STREAM_KEY`` only: what to type after ``/platforms connect NAME`` (shown in
    #: help and docs) and, in sandbox mode, the arguments used to connect automatically
    example_args: ClassVar[tuple[str, ...]] = ()

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @classmethod
    def auth_style_for(cls, config: PlatformConfig) -> AuthStyle:
        """How this deployment authenticates: Zoom uses account credentials when an account id
        is configured and user OAuth otherwise, so the class default can be overridden."""
        return cls.auth_style

    @classmethod
    def scopes_for(cls, config: PlatformConfig) -> tuple[str, ...]:
        """The OAuth scopes this deployment asks for (Teams adds one for its calendar route)."""
        return cls.scopes

    @classmethod
    async def app_token(cls, config: PlatformConfig, client: httpx.AsyncClient) -> Credentials:
        """Client-credentials grant (``AuthStyle.CLIENT_CREDENTIALS``): a fresh app token.

        The caller caches it until ``expires_at`` and asks again after a 401."""
        raise NotImplementedError(f"{cls.__name__} has no client-credentials grant")

    @classmethod
    def credentials_from_args(cls, args: Sequence[str]) -> tuple[Credentials, str]:
        """``AuthStyle.STREAM_KEY``: credentials and an account label from what the admin typed
        after ``/platforms connect NAME`` (ingest URL, key, optional expiry).

        Raises ``providers.errors.InvalidRequest`` with a sentence naming what is wrong."""
        raise NotImplementedError(f"{cls.__name__} is not connected with a stream key")

    @classmethod
    def check_settings(cls, settings: Mapping[str, str]) -> None:
        """Refuse unknown or invalid per-platform settings before anything is created."""
        if settings:
            from providers.errors import InvalidRequest

            names = ", ".join(sorted(settings))
            raise InvalidRequest(cls.name, f"{cls.display_name} has no setting {names}")


@runtime_checkable
class LivestreamProvider(Protocol):
    async def create_broadcast(self, request: BroadcastRequest) -> BroadcastHandle: ...

    async def start_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle: ...

    async def stop_broadcast(self, handle: BroadcastHandle) -> BroadcastHandle: ...

    async def refresh_status(self, handle: BroadcastHandle) -> BroadcastHandle: ...


@runtime_checkable
class MeetingProvider(Protocol):
    async def create_meeting(self, request: MeetingRequest) -> MeetingHandle: ...

    async def update_meeting(self, handle: MeetingHandle, request: MeetingRequest) -> MeetingHandle:
        """Change time, duration or title; the returned handle may carry a new join link."""
        ...

    async def delete_meeting(self, handle: MeetingHandle) -> None:
        """Cancel; deleting a meeting the platform no longer has is not an error."""
        ...


@dataclass(frozen=True)
class ChatMessage:
    platform: str
    remote_id: str
    author: str
    author_id: str
    text: str
    sent_at: datetime


@runtime_checkable
class ChatSource(Protocol):
    async def read_chat(
        self, handle: BroadcastHandle, cursor: str | None
    ) -> tuple[list[ChatMessage], str | None, float]: ...


@runtime_checkable
class Moderation(Protocol):
    """Moderating a broadcast's live chat through the platform's own API.

    A provider offers only what its platform can: ``delete_message`` with
    ``Capability.CHAT_DELETE``, ``ban`` with ``Capability.BAN`` (``seconds=None`` is a
    permanent ban) and, with ``Capability.TIMEOUT``, ``ban`` with a number of seconds;
    ``unban`` lifts either. A platform without the capability is never called.

    ``ban`` and ``unban`` may write to ``handle.data`` (YouTube keeps the id of each ban
    there, because lifting a ban needs it); the caller stores the handle afterwards so a
    restart does not lose it.
    """

    async def delete_message(self, handle: BroadcastHandle, message_id: str) -> None: ...

    async def ban(self, handle: BroadcastHandle, author_id: str, seconds: int | None) -> None: ...

    async def unban(self, handle: BroadcastHandle, author_id: str) -> None: ...


@runtime_checkable
class ViewerStats(Protocol):
    async def viewer_count(self, handle: BroadcastHandle) -> int | None: ...
