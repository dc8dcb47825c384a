"""The real Facebook provider over real HTTP against the Graph API emulator."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from providers import provider_class
from providers.base import (
    BroadcastHandle,
    BroadcastRequest,
    BroadcastState,
    Capability,
    Credentials,
    LivestreamProvider,
    PlatformConfig,
    ViewerStats,
)
from providers.errors import AuthExpired, InvalidRequest, RateLimited, Unavailable
from providers.facebook import RECONNECT, Facebook, split_stream_url, watch_link
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, new_code_verifier, new_state
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.facebook import FacebookEmulator, Page

REQUEST = BroadcastRequest(title="Quarterly town hall", description="Q&A at the end")


class FastRetry(RetryPolicy):
    def wait(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return super().wait(retry_state)
        return 0.01


@dataclass
class Wired:
    provider: Facebook
    token: StoredToken
    saved: list[Credentials]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["facebook"]) as running:
        yield running


@pytest.fixture
def emulator(sandbox: Sandbox) -> FacebookEmulator:
    emulator = sandbox.emulators["facebook"]
    assert isinstance(emulator, FacebookEmulator)
    return emulator


@pytest.fixture
async def wire(sandbox: Sandbox) -> AsyncIterator[Callable[..., Awaitable[Wired]]]:
    made: list[PlatformHttp] = []
    client_id, client_secret = sandbox.clients["facebook"]

    async def make(credentials: Credentials, **options: str) -> Wired:
        config = PlatformConfig(
            endpoints=sandbox.endpoints["facebook"],
            client_id=client_id,
            client_secret=SecretStr(client_secret),
            options={**sandbox.options["facebook"], **options},
        )
        saved: list[Credentials] = []

        async def persist(fresh: Credentials) -> None:
            saved.append(fresh)

        token = StoredToken("facebook", credentials, OAuthFlow(Facebook, config).refresh, persist)
        http = PlatformHttp(
            "facebook",
            config.endpoints.api_url,
            token=token,
            parse_error=Facebook.parse_error,
            retry=FastRetry(),
        )
        made.append(http)
        return Wired(Facebook(config, http), token, saved)

    yield make
    for http in made:
        await http.aclose()


def long_lived(emulator: FacebookEmulator) -> Credentials:
    return Credentials(
        access_token=SecretStr(emulator.issue_user_token()),
        expires_at=datetime.now(UTC) + timedelta(days=60),
        extra={"token_kind": "long_lived"},
    )


@pytest.fixture
async def facebook(wire: Callable[..., Awaitable[Wired]], emulator: FacebookEmulator) -> Wired:
    return await wire(long_lived(emulator))


# -- declaration ---------------------------------------------------------------------------------


def test_declaration_and_registry() -> None:
    assert provider_class("facebook") is Facebook
    assert Facebook.default_endpoints.api_url == "https://graph.facebook.com/v26.0"
    assert Facebook.default_endpoints.auth_url == "https://www.facebook.com/v26.0/dialog/oauth"
    assert (
        Facebook.default_endpoints.token_url
        == "https://graph.facebook.com/v26.0/oauth/access_token"
    )
    assert Facebook.option_names == ("page_id", "instagram_user_id")
    assert Facebook.link_domains == ("facebook.com",)
    assert {Capability.START_BROADCAST, Capability.VIEWER_COUNT} <= Facebook.capabilities


def test_an_instagram_account_adds_the_comment_permissions() -> None:
    plain = PlatformConfig(endpoints=Facebook.default_endpoints)
    assert Facebook.scopes_for(plain) == Facebook.scopes
    linked = PlatformConfig(
        endpoints=Facebook.default_endpoints, options={"instagram_user_id": "17841400000000001"}
    )
    assert Facebook.scopes_for(linked) == (
        *Facebook.scopes,
        "instagram_basic",
        "instagram_manage_comments",
    )


async def test_implements_the_protocols(facebook: Wired) -> None:
    assert isinstance(facebook.provider, LivestreamProvider)
    assert isinstance(facebook.provider, ViewerStats)


def test_stream_url_and_permalink_helpers() -> None:
    url, key = split_stream_url("rtmps://live-api-s.facebook.com:443/rtmp/FB-1-0-Ab?s_bl=1")
    assert (url, key) == ("rtmps://live-api-s.facebook.com:443/rtmp/", "FB-1-0-Ab?s_bl=1")
    assert watch_link("/1/videos/2/") == "https://www.facebook.com/1/videos/2/"
    assert watch_link("https://www.facebook.com/1/videos/2/") == (
        "https://www.facebook.com/1/videos/2/"
    )
    assert watch_link("https://evil.example/1") is None
    assert watch_link(None) is None


def test_check_settings() -> None:
    Facebook.check_settings({"page": "110000000000001"})
    Facebook.check_settings({})
    with pytest.raises(InvalidRequest, match="no setting privacy"):
        Facebook.check_settings({"privacy": "x"})
    with pytest.raises(InvalidRequest, match="numeric id"):
        Facebook.check_settings({"page": "my-page"})


# -- lifecycle -----------------------------------------------------------------------------------


async def test_create_now_start_stop(facebook: Wired, emulator: FacebookEmulator) -> None:
    provider = facebook.provider
    handle = await provider.create_broadcast(REQUEST)
    video = emulator.videos[handle.remote_id]
    assert handle.state is BroadcastState.READY
    assert video.status == "UNPUBLISHED"  # nothing published before /golive start
    assert (video.title, video.description) == (REQUEST.title, REQUEST.description)
    assert handle.ingest_url == "rtmps://live-api-s.facebook.com:443/rtmp/"
    assert handle.stream_key is not None
    assert handle.stream_key.get_secret_value() == video.stream_key
    assert video.stream_key not in repr(handle)
    assert handle.watch_url == (
        f"https://www.facebook.com/{video.page_id}/videos/{video.video_id}/"
    )
    assert handle.data["page_id"] == "110000000000001"
    assert await provider.viewer_count(handle) is None

    live = await provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE
    assert emulator.videos[handle.remote_id].status == "LIVE"
    assert await provider.viewer_count(handle) == 3
    assert (await provider.start_broadcast(handle)).state is BroadcastState.LIVE  # idempotent

    ended = await provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert emulator.videos[handle.remote_id].status == "VOD"
    updates = emulator.requests["live_video.update"]
    again = await provider.stop_broadcast(handle)
    assert again.state is BroadcastState.ENDED
    assert emulator.requests["live_video.update"] == updates  # a second stop changes nothing


async def test_create_scheduled_then_go_live(facebook: Wired, emulator: FacebookEmulator) -> None:
    start = datetime.now(UTC) + timedelta(days=2)
    request = BroadcastRequest(title="Launch", scheduled_start=start)
    handle = await facebook.provider.create_broadcast(request)
    video = emulator.videos[handle.remote_id]
    assert video.status == "SCHEDULED_UNPUBLISHED"
    assert video.planned_start_time == int(start.timestamp())
    assert handle.state is BroadcastState.READY
    live = await facebook.provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE


async def test_schedule_more_than_seven_days_ahead_is_refused(facebook: Wired) -> None:
    request = BroadcastRequest(title="Later", scheduled_start=datetime.now(UTC) + timedelta(days=8))
    with pytest.raises(InvalidRequest, match="7 days"):
        await facebook.provider.create_broadcast(request)


async def test_stop_before_going_live_removes_the_draft(
    facebook: Wired, emulator: FacebookEmulator
) -> None:
    handle = await facebook.provider.create_broadcast(REQUEST)
    ended = await facebook.provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert handle.remote_id not in emulator.videos
    assert ended.message is not None and "never went live" in ended.message
    gone = await facebook.provider.stop_broadcast(handle)
    assert gone.state is BroadcastState.ENDED


async def test_start_waits_for_the_encoder(facebook: Wired, emulator: FacebookEmulator) -> None:
    emulator.auto_encoder = False
    handle = await facebook.provider.create_broadcast(REQUEST)
    started = await facebook.provider.start_broadcast(handle)
    assert started.state is BroadcastState.READY
    assert started.message == "Facebook publishes it as soon as the encoder sends"
    assert (await facebook.provider.refresh_status(handle)).message == started.message
    emulator.connect_encoder(handle.remote_id)
    assert (await facebook.provider.refresh_status(handle)).state is BroadcastState.LIVE


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("UNPUBLISHED", BroadcastState.READY),
        ("SCHEDULED_UNPUBLISHED", BroadcastState.READY),
        ("LIVE", BroadcastState.LIVE),
        ("LIVE_STOPPED", BroadcastState.ENDED),
        ("PROCESSING", BroadcastState.ENDED),
        ("VOD", BroadcastState.ENDED),
        ("SCHEDULED_EXPIRED", BroadcastState.FAILED),
        ("SCHEDULED_CANCELED", BroadcastState.FAILED),
    ],
)
async def test_refresh_status_maps_every_status(
    facebook: Wired, emulator: FacebookEmulator, status: str, state: BroadcastState
) -> None:
    handle = await facebook.provider.create_broadcast(REQUEST)
    emulator.videos[handle.remote_id].status = status
    assert (await facebook.provider.refresh_status(handle)).state is state


# -- pages and tokens ----------------------------------------------------------------------------


async def test_the_only_page_is_found_through_me_accounts(
    wire: Callable[..., Awaitable[Wired]], emulator: FacebookEmulator
) -> None:
    wired = await wire(long_lived(emulator), page_id="")
    handle = await wired.provider.create_broadcast(REQUEST)
    assert handle.data["page_id"] == "110000000000001"
    assert emulator.requests["me.accounts"] == 1


async def test_several_pages_need_a_choice(
    wire: Callable[..., Awaitable[Wired]], emulator: FacebookEmulator
) -> None:
    emulator.pages["120000000000002"] = Page("120000000000002", "Second Page")
    wired = await wire(long_lived(emulator), page_id="")
    with pytest.raises(InvalidRequest, match="several Pages") as caught:
        await wired.provider.create_broadcast(REQUEST)
    assert "GOLIVE_FACEBOOK_PAGE_ID" in caught.value.message
    request = BroadcastRequest(title="On page two", settings={"page": "120000000000002"})
    handle = await wired.provider.create_broadcast(request)
    assert emulator.videos[handle.remote_id].page_id == "120000000000002"


async def test_short_lived_token_is_exchanged_once_and_saved(
    sandbox: Sandbox, wire: Callable[..., Awaitable[Wired]], emulator: FacebookEmulator
) -> None:
    """The real sign-in: PKCE dialog, code exchange (no refresh token), long-lived exchange."""
    client_id, client_secret = sandbox.clients["facebook"]
    config = PlatformConfig(
        endpoints=sandbox.endpoints["facebook"],
        client_id=client_id,
        client_secret=SecretStr(client_secret),
    )
    flow = OAuthFlow(Facebook, config)
    state, verifier = new_state(), new_code_verifier()
    redirect = "http://127.0.0.1:3000/oauth/facebook/callback"
    url = flow.authorize_url(state=state, code_verifier=verifier, redirect_uri=redirect)
    assert "code_challenge_method=S256" in url
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    credentials = await flow.exchange(code=code, code_verifier=verifier, redirect_uri=redirect)
    assert credentials.refresh_token is None  # Facebook issues none
    assert credentials.expires_at is not None
    assert credentials.expires_at - datetime.now(UTC) < timedelta(hours=3)

    wired = await wire(credentials)
    await wired.provider.create_broadcast(REQUEST)
    await wired.provider.create_broadcast(REQUEST)
    assert emulator.requests["oauth.fb_exchange_token"] == 1
    assert len(wired.saved) == 1
    fresh = wired.saved[0]
    assert fresh.extra["token_kind"] == "long_lived"
    assert fresh.expires_at is not None
    assert fresh.expires_at - datetime.now(UTC) > timedelta(days=50)
    assert wired.token.credentials is fresh


async def test_expired_user_token_says_reconnect(
    wire: Callable[..., Awaitable[Wired]], emulator: FacebookEmulator
) -> None:
    credentials = long_lived(emulator)
    wired = await wire(credentials)
    emulator.expire_tokens()
    with pytest.raises(AuthExpired) as caught:
        await wired.provider.create_broadcast(REQUEST)
    assert caught.value.message == RECONNECT
    assert "connect Facebook again" in str(caught.value)


async def test_expired_page_token_mid_broadcast(
    facebook: Wired, emulator: FacebookEmulator
) -> None:
    handle = await facebook.provider.create_broadcast(REQUEST)
    emulator.faults.expire_tokens = True
    with pytest.raises(AuthExpired, match="no refresh token"):
        await facebook.provider.start_broadcast(handle)
    emulator.faults.expire_tokens = False
    assert (await facebook.provider.start_broadcast(handle)).state is BroadcastState.LIVE


async def test_tokens_never_reach_logs_or_reprs(
    facebook: Wired, emulator: FacebookEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handle = await facebook.provider.create_broadcast(REQUEST)
    await facebook.provider.start_broadcast(handle)
    emulator.faults.expire_tokens = True
    with pytest.raises(AuthExpired) as caught:
        await facebook.provider.stop_broadcast(handle)
    secrets_seen = [t.token for t in emulator.page_tokens.values()]
    secrets_seen.append(facebook.token.credentials.access_token.get_secret_value())  # type: ignore[union-attr]
    secrets_seen.append(emulator.videos[handle.remote_id].stream_key)
    assert secrets_seen[0]
    texts = [
        caplog.text,
        repr(facebook.provider),
        repr(handle),
        repr(facebook.token.credentials),
        str(caught.value),
        repr(caught.value),
    ]
    for secret in secrets_seen:
        for text in texts:
            assert secret not in text


# -- errors --------------------------------------------------------------------------------------


def graph_error(code: int, status: int = 400, **extra: Any) -> httpx.Response:
    body = {"error": {"message": f"m{code}", "type": "OAuthException", "code": code, **extra}}
    return httpx.Response(status, json=body, request=httpx.Request("GET", "https://x"))


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (190, AuthExpired),
        (4, RateLimited),
        (17, RateLimited),
        (32, RateLimited),
        (613, RateLimited),
        (1, Unavailable),
        (2, Unavailable),
        (100, InvalidRequest),
        (200, InvalidRequest),
    ],
)
def test_parse_error_maps_graph_codes(code: int, kind: type) -> None:
    info = Facebook.parse_error(graph_error(code, error_subcode=463, fbtrace_id="Abc"))
    assert info.kind is kind
    assert info.message == f"m{code}"
    assert info.code == f"{code}/463"


@pytest.mark.parametrize("status", [400, 401])
def test_code_190_is_an_expired_token_whatever_the_status(status: int) -> None:
    assert Facebook.parse_error(graph_error(190, status)).kind is AuthExpired


def test_parse_error_without_json() -> None:
    response = httpx.Response(502, text="<html>", request=httpx.Request("GET", "https://x"))
    assert Facebook.parse_error(response).message.startswith("HTTP 502")


async def test_transient_faults_are_retried(facebook: Wired, emulator: FacebookEmulator) -> None:
    emulator.faults.fail_next = 1
    emulator.faults.rate_limit_next = 1
    handle = await facebook.provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY


async def test_page_rate_limit_is_code_32(facebook: Wired, emulator: FacebookEmulator) -> None:
    handle = await facebook.provider.create_broadcast(REQUEST)
    emulator.calls_per_window = 1
    with pytest.raises(RateLimited) as caught:
        await facebook.provider.refresh_status(handle)
    assert caught.value.code == "32"
    _, page_http = await facebook.provider._page(handle.data["page_id"])
    answer = await page_http.client.get(
        page_http.url(handle.remote_id),
        headers={"Authorization": f"Bearer {next(iter(emulator.page_tokens))}"},
    )
    assert answer.json()["error"]["code"] == 32
    for header in ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage"):
        assert header in answer.headers


async def test_emulator_accepts_both_token_placements_and_refuses_user_tokens_on_pages(
    sandbox: Sandbox, emulator: FacebookEmulator
) -> None:
    user = emulator.issue_user_token()
    base = sandbox.endpoints["facebook"].api_url
    async with httpx.AsyncClient(base_url=base + "/") as client:
        by_header = await client.get("me/accounts", headers={"Authorization": f"Bearer {user}"})
        by_query = await client.get("me/accounts", params={"access_token": user})
        assert by_header.status_code == by_query.status_code == 200
        assert "X-App-Usage" in by_header.headers
        page = by_header.json()["data"][0]
        assert set(page) == {"id", "name", "category", "access_token", "tasks"}
        refused = await client.post(
            f"{page['id']}/live_videos",
            data={"status": "LIVE_NOW"},
            headers={"Authorization": f"Bearer {user}"},
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == 200
        bad = await client.post(
            f"{page['id']}/live_videos",
            data={"status": "SOON", "access_token": page["access_token"]},
        )
        assert bad.json()["error"]["code"] == 100
        unknown = await client.get("me/accounts", params={"access_token": "EAAnope"})
        assert unknown.status_code == 400
        assert "invalid_token" in unknown.headers["WWW-Authenticate"]
        assert unknown.json()["error"]["code"] == 190
        assert "fbtrace_id" in unknown.json()["error"]


async def test_ending_a_video_that_is_not_live_is_refused(
    facebook: Wired, emulator: FacebookEmulator
) -> None:
    handle = await facebook.provider.create_broadcast(REQUEST)
    _, page_http = await facebook.provider._page(handle.data["page_id"])
    with pytest.raises(InvalidRequest) as caught:
        await page_http.json("POST", handle.remote_id, data={"end_live_video": "true"})
    assert caught.value.code == "100"


async def test_handle_round_trip_keeps_only_ids(facebook: Wired) -> None:
    handle = await facebook.provider.create_broadcast(REQUEST)
    stored = BroadcastHandle(remote_id=handle.remote_id, state=handle.state, data=dict(handle.data))
    assert set(stored.data) == {"page_id", "status"}
    assert (await facebook.provider.refresh_status(stored)).message == "waiting for /golive start"
    assert (await facebook.provider.start_broadcast(stored)).state is BroadcastState.LIVE


# -- through the connection service --------------------------------------------------------------


async def test_connection_service_stores_the_long_lived_token_once(services: Any) -> None:
    """Sandbox sign-in, then two operations: one exchange, and the saved token is long-lived."""
    emulator = services.sandbox.emulators["facebook"]
    await services.connections.ensure("T1", "U1", "facebook")
    for _ in range(2):
        provider = await services.connections.provider(
            "T1", "facebook", actor="U1", operation="create broadcast"
        )
        handle = await provider.create_broadcast(REQUEST)
        assert handle.state is BroadcastState.READY
    assert emulator.requests["oauth.fb_exchange_token"] == 1
    stored = provider.http.token.credentials
    assert stored.extra["token_kind"] == "long_lived"
    assert stored.refresh_token is None
    views = await services.connections.list("T1")
    assert [v.status for v in views if v.platform == "facebook"] == ["connected"]
