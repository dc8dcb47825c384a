"""Real providers on the sandbox emulators, for the moderation tests.

:class:`StoredModerator` plays the part of golive's broadcast storage: it keeps each
platform's handle data as a plain dict (what ``LivestreamPlatform.data`` holds), builds a
fresh :class:`BroadcastHandle` from it for every action and stores what the provider wrote
back, so a test can throw the provider away ("a restart") and carry on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from providers.base import (
    BroadcastHandle,
    BroadcastRequest,
    BroadcastState,
    Credentials,
    PlatformConfig,
)
from providers.facebook import Facebook
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token
from providers.sandbox import Sandbox
from providers.sandbox.facebook import FacebookEmulator
from providers.sandbox.twitch import TwitchEmulator
from providers.sandbox.youtube import YouTubeEmulator
from providers.twitch import Twitch
from providers.youtube import YouTube


@dataclass
class Stored:
    remote_id: str
    data: dict[str, str]


@dataclass
class StoredModerator:
    providers: dict[str, Any]
    stored: dict[str, Stored] = field(default_factory=dict)
    saves: int = 0

    def keep(self, platform: str, handle: BroadcastHandle) -> None:
        self.stored[platform] = Stored(handle.remote_id, dict(handle.data))

    async def target(self, workspace: str, broadcast_id: str, platform: str):
        provider, stored = self.providers.get(platform), self.stored.get(platform)
        if provider is None or stored is None:
            return None
        handle = BroadcastHandle(stored.remote_id, BroadcastState.LIVE, data=dict(stored.data))
        return provider, handle

    async def save(
        self, workspace: str, broadcast_id: str, platform: str, handle: BroadcastHandle
    ) -> None:
        self.saves += 1
        self.stored[platform].data = {**self.stored[platform].data, **handle.data}


def config_for(sandbox: Sandbox, platform: str, **options: str) -> PlatformConfig:
    client_id, secret = sandbox.clients[platform]
    return PlatformConfig(
        endpoints=sandbox.endpoints[platform],
        client_id=client_id,
        client_secret=SecretStr(secret),
        options={**sandbox.options.get(platform, {}), **options},
    )


def http_for(
    platform: str, config: PlatformConfig, credentials: Credentials, cls: Any
) -> PlatformHttp:
    token = StoredToken(platform, credentials, refresher=OAuthFlow(cls, config).refresh)
    return PlatformHttp(
        platform,
        config.endpoints.api_url,
        token=token,
        parse_error=cls.parse_error,
        retry=RetryPolicy(attempts=1),
    )


async def live_youtube(sandbox: Sandbox) -> tuple[YouTube, BroadcastHandle, PlatformHttp]:
    """A YouTube broadcast that is live, on the sandbox's emulator."""
    emulator = sandbox.emulators["youtube"]
    assert isinstance(emulator, YouTubeEmulator)
    emulator.chat.polling_interval_ms = 1
    config = config_for(sandbox, "youtube", encoder_polls="3", encoder_wait_seconds="0.01")
    issued = emulator.oauth.issue_tokens(emulator.client_id, YouTube.scopes)
    http = http_for("youtube", config, credentials_from_token(issued), YouTube)
    provider = YouTube(config, http)
    handle = await provider.create_broadcast(BroadcastRequest(title="Moderated"))
    handle = await provider.start_broadcast(handle)
    return provider, handle, http


def youtube_provider(sandbox: Sandbox) -> tuple[YouTube, PlatformHttp]:
    """Another YouTube provider on the same channel (as after a restart)."""
    emulator = sandbox.emulators["youtube"]
    assert isinstance(emulator, YouTubeEmulator)
    config = config_for(sandbox, "youtube")
    issued = emulator.oauth.issue_tokens(emulator.client_id, YouTube.scopes)
    http = http_for("youtube", config, credentials_from_token(issued), YouTube)
    return YouTube(config, http), http


def twitch_provider(
    sandbox: Sandbox, scopes: tuple[str, ...] = Twitch.scopes
) -> tuple[Twitch, BroadcastHandle, PlatformHttp]:
    emulator = sandbox.emulators["twitch"]
    assert isinstance(emulator, TwitchEmulator)
    config = config_for(sandbox, "twitch")
    issued = emulator.oauth.issue_tokens(emulator.client_id, scopes)
    http = http_for("twitch", config, credentials_from_token(issued), Twitch)
    provider = Twitch(config, http)
    handle = BroadcastHandle(emulator.channel.user_id, BroadcastState.LIVE)
    return provider, handle, http


async def live_facebook(
    sandbox: Sandbox, scopes: tuple[str, ...] | None = None
) -> tuple[Facebook, BroadcastHandle, PlatformHttp]:
    emulator = sandbox.emulators["facebook"]
    assert isinstance(emulator, FacebookEmulator)
    config = config_for(sandbox, "facebook")
    user_token = (
        emulator.issue_user_token() if scopes is None else emulator.issue_user_token(scopes=scopes)
    )
    credentials = Credentials(
        access_token=SecretStr(user_token),
        expires_at=datetime.now(UTC) + timedelta(days=60),
        extra={"token_kind": "long_lived"},
    )
    http = http_for("facebook", config, credentials, Facebook)
    provider = Facebook(config, http)
    handle = await provider.create_broadcast(BroadcastRequest(title="Moderated"))
    handle = await provider.start_broadcast(handle)
    return provider, handle, http


def calls_since(sandbox: Sandbox, platform: str, mark: int) -> list[tuple[str, str]]:
    """The (method, path) of every request the platform's emulator got after ``mark``."""
    return sandbox.requests[platform][mark:]
