"""A running YouTube emulator with a live broadcast, a chat client on it, and a chat store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.chat.store import ChatStore
from providers.base import BroadcastRequest, PlatformConfig
from providers.chat.youtube import YouTubeChatClient
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import YouTube
from storage.db import Database
from storage.models import Livestream, LivestreamPlatform
from tests.chat.helpers import BROADCAST, LiveYouTube
from tests.conftest import database_url


@pytest.fixture
async def chat_store(backend: str, tmp_path: Path) -> AsyncIterator[ChatStore]:
    db = Database(await database_url(backend, tmp_path))
    await db.upgrade()
    async with db.transaction() as session:
        stream = Livestream(id=BROADCAST, workspace="w", title="Chat", primary_platform="youtube")
        stream.platforms.append(LivestreamPlatform(platform="youtube"))
        session.add(stream)
    try:
        yield ChatStore(db)
    finally:
        await db.dispose()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["youtube"]) as running:
        yield running


@pytest.fixture
async def live(sandbox: Sandbox) -> AsyncIterator[LiveYouTube]:
    emulator = sandbox.emulators["youtube"]
    assert isinstance(emulator, YouTubeEmulator)
    emulator.chat.polling_interval_ms = 20
    client_id, client_secret = sandbox.clients["youtube"]
    config = PlatformConfig(
        endpoints=sandbox.endpoints["youtube"],
        client_id=client_id,
        client_secret=SecretStr(client_secret),
        options={"encoder_polls": "3", "encoder_wait_seconds": "0.01"},
    )
    credentials = credentials_from_token(emulator.oauth.issue_tokens(client_id, YouTube.scopes))
    token = StoredToken("youtube", credentials, refresher=OAuthFlow(YouTube, config).refresh)
    http = PlatformHttp(
        "youtube",
        config.endpoints.api_url,
        token=token,
        parse_error=YouTube.parse_error,
        retry=RetryPolicy(attempts=1),
    )
    provider = YouTube(config, http)
    handle = await provider.create_broadcast(BroadcastRequest(title="Chat test"))
    handle = await provider.start_broadcast(handle)
    try:
        yield LiveYouTube(emulator, YouTubeChatClient(http), handle, http)
    finally:
        await http.aclose()
