"""Facebook live comments: the emulator's comments edge, the client and the collector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.chat.collector import CollectorRunner
from bot.chat.facebook import FacebookCollector
from bot.chat.store import ChatStore
from providers.base import BroadcastHandle, BroadcastRequest, Credentials, PlatformConfig
from providers.chat.facebook import FacebookCommentsClient
from providers.facebook import Facebook
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow
from providers.sandbox import start_sandbox
from providers.sandbox.facebook import FacebookEmulator
from tests.chat.helpers import BROADCAST


@dataclass
class LiveFacebook:
    emulator: FacebookEmulator
    provider: Facebook
    handle: BroadcastHandle
    page_id: str
    api_url: str


@pytest.fixture
async def live_fb() -> AsyncIterator[LiveFacebook]:
    async with await start_sandbox(["facebook"]) as sandbox:
        emulator = sandbox.emulators["facebook"]
        assert isinstance(emulator, FacebookEmulator)
        client_id, client_secret = sandbox.clients["facebook"]
        config = PlatformConfig(
            endpoints=sandbox.endpoints["facebook"],
            client_id=client_id,
            client_secret=SecretStr(client_secret),
            options=dict(sandbox.options["facebook"]),
        )
        credentials = Credentials(
            access_token=SecretStr(emulator.issue_user_token()),
            expires_at=datetime.now(UTC) + timedelta(days=60),
            extra={"token_kind": "long_lived"},
        )
        token = StoredToken("facebook", credentials, OAuthFlow(Facebook, config).refresh)
        http = PlatformHttp(
            "facebook",
            config.endpoints.api_url,
            token=token,
            parse_error=Facebook.parse_error,
            retry=RetryPolicy(attempts=1),
        )
        provider = Facebook(config, http)
        handle = await provider.create_broadcast(BroadcastRequest(title="Chat test"))
        handle = await provider.start_broadcast(handle)
        try:
            yield LiveFacebook(
                emulator, provider, handle, config.options["page_id"], config.endpoints.api_url
            )
        finally:
            await provider.aclose()
            await http.aclose()


async def test_comments_edge_is_strict(live_fb: LiveFacebook) -> None:
    video = live_fb.handle.remote_id
    user_token = live_fb.emulator.issue_user_token()
    url = f"{live_fb.api_url}/{video}/comments"
    async with httpx.AsyncClient() as raw:
        as_user = await raw.get(url, params={"access_token": user_token})
        assert as_user.status_code == 400
        assert as_user.json()["error"]["code"] == 200  # a Page's video needs the Page token
        _, page_http = await live_fb.provider._page(live_fb.page_id)
        page_token = await page_http.token.token()  # type: ignore[union-attr]
        bad_order = await raw.get(url, params={"access_token": page_token, "order": "newest"})
        assert bad_order.json()["error"]["code"] == 100
        bad_field = await raw.get(url, params={"access_token": page_token, "fields": "likes"})
        assert bad_field.json()["error"]["code"] == 100
        empty = await raw.get(url, params={"access_token": page_token})
        assert empty.json() == {"data": []}


async def test_collector_pages_through_backlog_and_resumes(
    live_fb: LiveFacebook, chat_store: ChatStore
) -> None:
    comments = live_fb.emulator.chat
    video = live_fb.handle.remote_id
    comments.generate(video, 130)
    comments.inject(video, "from the page", "Golive Sandbox", user_id=live_fb.page_id)
    client = FacebookCommentsClient(live_fb.provider, live_fb.page_id)
    runner = CollectorRunner(chat_store, FacebookCollector(client, BROADCAST, video))
    first = await runner.step()
    assert len(first.lines) == 100 and first.wait_seconds == 0  # more waiting: ask again now
    second = await runner.step()
    assert len(second.lines) == 31 and second.wait_seconds == 3.0
    stored = await chat_store.search(BROADCAST, platform="facebook")
    assert len(stored) == 131
    assert stored[-1].badges == frozenset({"owner"})
    assert stored[0].author_name == "Fan 0"

    comments.inject(video, "after restart")
    comments.overlap = 5  # redelivered comments are not stored twice
    restarted = CollectorRunner(chat_store, FacebookCollector(client, BROADCAST, video))
    page = await restarted.step()
    assert len(page.lines) == 6
    assert restarted.stored == 1
    assert len(await chat_store.search(BROADCAST, text="after restart")) == 1
