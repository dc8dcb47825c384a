"""Fixtures that run the YouTube emulator on 127.0.0.1 and wire the real provider to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from providers.base import Credentials, PlatformConfig
from providers.errors import RateLimited
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import YouTube


class FastRetry(RetryPolicy):
    """Short backoff for tests: tenacity's default jitter alone would add up to a second."""

    def wait(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return super().wait(retry_state)  # Retry-After is still honoured in full
        return self.initial_wait


FAST_RETRY = FastRetry(initial_wait=0.01)


@dataclass
class Wired:
    """A provider over real HTTP, plus the token source so tests can count refreshes."""

    provider: YouTube
    token: StoredToken
    http: PlatformHttp


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["youtube"]) as running:
        yield running


@pytest.fixture
def emulator(sandbox: Sandbox) -> YouTubeEmulator:
    emulator = sandbox.emulators["youtube"]
    assert isinstance(emulator, YouTubeEmulator)
    return emulator


@pytest.fixture
def config(sandbox: Sandbox) -> PlatformConfig:
    client_id, client_secret = sandbox.clients["youtube"]
    return PlatformConfig(
        endpoints=sandbox.endpoints["youtube"],
        client_id=client_id,
        client_secret=SecretStr(client_secret),
        options={"encoder_polls": "3", "encoder_wait_seconds": "0.01"},
    )


@pytest.fixture
def credentials(emulator: YouTubeEmulator) -> Credentials:
    """Tokens as if the admin had connected, without the browser step."""
    return credentials_from_token(emulator.oauth.issue_tokens(emulator.client_id, YouTube.scopes))


@pytest.fixture
async def wire(
    config: PlatformConfig,
) -> AsyncIterator[Callable[..., Awaitable[Wired]]]:
    made: list[PlatformHttp] = []

    async def make(credentials: Credentials, **options: str) -> Wired:
        cfg = PlatformConfig(
            endpoints=config.endpoints,
            client_id=config.client_id,
            client_secret=config.client_secret,
            options={**config.options, **options},
        )
        token = StoredToken("youtube", credentials, refresher=OAuthFlow(YouTube, cfg).refresh)
        http = PlatformHttp(
            "youtube",
            cfg.endpoints.api_url,
            token=token,
            parse_error=YouTube.parse_error,
            retry=FAST_RETRY,
        )
        made.append(http)
        return Wired(YouTube(cfg, http), token, http)

    yield make
    for http in made:
        await http.aclose()


@pytest.fixture
async def youtube(wire: Callable[..., Awaitable[Wired]], credentials: Credentials) -> Wired:
    return await wire(credentials)


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A bare client on the emulator's API base, for requests the provider would never send."""
    async with httpx.AsyncClient(base_url=sandbox.endpoints["youtube"].api_url + "/") as client:
        yield client


@pytest.fixture
def bearer(emulator: YouTubeEmulator) -> Callable[..., dict[str, str]]:
    """Authorization headers for a fresh token (the admin's scope unless told otherwise)."""

    def make(
        scopes: tuple[str, ...] = YouTube.scopes, subject: str | None = None
    ) -> dict[str, str]:
        issued = emulator.oauth.issue_tokens(emulator.client_id, scopes, subject=subject)
        return {"Authorization": f"Bearer {issued['access_token']}"}

    return make
