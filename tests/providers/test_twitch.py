"""The real Twitch provider over real HTTP against the Helix emulator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from providers import provider_class
from providers.base import (
    BroadcastRequest,
    BroadcastState,
    Capability,
    Credentials,
    LivestreamProvider,
    PlatformConfig,
    ViewerStats,
)
from providers.errors import AuthExpired, InvalidRequest, RateLimited, Unavailable
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token, new_code_verifier, new_state
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.twitch import TwitchEmulator
from providers.twitch import DEFAULT_INGEST, STILL_UP, WAITING, Twitch, clean_title

REQUEST = BroadcastRequest(title="Launch day", description="not used by Twitch")


class FastRetry(RetryPolicy):
    def wait(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return super().wait(retry_state)
        return 0.01


@dataclass
class Wired:
    provider: Twitch
    token: StoredToken
    http: PlatformHttp


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["twitch"]) as running:
        yield running


@pytest.fixture
def emulator(sandbox: Sandbox) -> TwitchEmulator:
    emulator = sandbox.emulators["twitch"]
    assert isinstance(emulator, TwitchEmulator)
    return emulator


@pytest.fixture
def config(sandbox: Sandbox) -> PlatformConfig:
    client_id, secret = sandbox.clients["twitch"]
    return PlatformConfig(
        endpoints=sandbox.endpoints["twitch"],
        client_id=client_id,
        client_secret=SecretStr(secret),
        options={"encoder_polls": "2", "encoder_wait_seconds": "0.01"},
    )


def issue(emulator: TwitchEmulator, scopes: tuple[str, ...] = Twitch.scopes) -> Credentials:
    return credentials_from_token(emulator.oauth.issue_tokens(emulator.client_id, scopes))


@pytest.fixture
async def wire(
    config: PlatformConfig, emulator: TwitchEmulator
) -> AsyncIterator[Callable[..., Awaitable[Wired]]]:
    made: list[PlatformHttp] = []

    async def make(credentials: Credentials | None = None, **options: str) -> Wired:
        cfg = PlatformConfig(
            endpoints=config.endpoints,
            client_id=config.client_id,
            client_secret=config.client_secret,
            options={**config.options, **options},
        )
        token = StoredToken(
            "twitch", credentials or issue(emulator), refresher=OAuthFlow(Twitch, cfg).refresh
        )
        http = PlatformHttp("twitch", cfg.endpoints.api_url, token=token, retry=FastRetry())
        made.append(http)
        return Wired(Twitch(cfg, http), token, http)

    yield make
    for http in made:
        await http.aclose()


@pytest.fixture
async def twitch(wire: Callable[..., Awaitable[Wired]]) -> Wired:
    return await wire()


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.endpoints["twitch"].api_url + "/") as client:
        yield client


def headers(emulator: TwitchEmulator, client_id: str | None = None) -> dict[str, str]:
    token = emulator.oauth.issue_tokens(emulator.client_id, Twitch.scopes)["access_token"]
    return {"Authorization": f"Bearer {token}", "Client-Id": client_id or emulator.client_id}


# -- declaration -------------------------------------------------------------------------------


def test_declaration_and_registry() -> None:
    assert provider_class("twitch") is Twitch
    assert Twitch.default_endpoints.api_url == "https://api.twitch.tv/helix"
    assert Twitch.default_endpoints.auth_url == "https://id.twitch.tv/oauth2/authorize"
    assert Twitch.default_endpoints.token_url == "https://id.twitch.tv/oauth2/token"
    assert set(Twitch.scopes) == {
        "channel:read:stream_key",
        "channel:manage:broadcast",
        "user:read:chat",
        "moderator:manage:chat_messages",
        "moderator:manage:banned_users",
    }
    assert Twitch.link_domains == ("twitch.tv",)
    assert "category" in Twitch.option_names
    assert Capability.VIEWER_COUNT in Twitch.capabilities
    assert not getattr(Twitch, "aggregates_ingest", False)


async def test_implements_the_protocols(twitch: Wired) -> None:
    assert isinstance(twitch.provider, LivestreamProvider)
    assert isinstance(twitch.provider, ViewerStats)
    assert twitch.http.extra_headers["Client-Id"] == twitch.provider.config.client_id


def test_check_settings() -> None:
    Twitch.check_settings({})
    Twitch.check_settings({"category": "Just Chatting"})
    with pytest.raises(InvalidRequest, match="no setting privacy"):
        Twitch.check_settings({"privacy": "public"})
    with pytest.raises(InvalidRequest, match="empty"):
        Twitch.check_settings({"category": "  "})


def test_titles_fit_twitch() -> None:
    assert clean_title("") == "Live"
    assert len(clean_title("x" * 500)) == 140
    assert clean_title("a\nb") == "a b"


# -- lifecycle ---------------------------------------------------------------------------------


async def test_create_start_status_stop(
    wire: Callable[..., Awaitable[Wired]], emulator: TwitchEmulator
) -> None:
    emulator.live_after = None  # the encoder connects when the test says so
    wired = await wire()
    provider = wired.provider
    handle = await provider.create_broadcast(REQUEST)
    channel = emulator.channel
    assert handle.state is BroadcastState.READY
    assert handle.remote_id == channel.user_id
    assert handle.watch_url == f"https://www.twitch.tv/{channel.login}"
    assert handle.ingest_url == DEFAULT_INGEST
    assert handle.stream_key is not None
    assert handle.stream_key.get_secret_value() == channel.stream_key
    assert channel.stream_key not in repr(handle)
    assert handle.message == WAITING
    assert channel.updates == []  # nothing on the channel changes before start

    waiting = await provider.start_broadcast(handle)
    assert waiting.state is BroadcastState.READY
    assert waiting.message == WAITING
    assert channel.title == REQUEST.title
    assert (await provider.refresh_status(handle)).state is BroadcastState.READY
    assert await provider.viewer_count(handle) is None

    emulator.connect_encoder()
    channel.viewers = 42
    assert (await provider.refresh_status(handle)).state is BroadcastState.LIVE
    live = await provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE
    assert live.message is None
    assert handle.data["stream_id"] == channel.stream_id
    assert await provider.viewer_count(handle) == 42

    ended = await provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert ended.message == STILL_UP  # Twitch cannot end a stream the encoder still sends
    emulator.disconnect_encoder()
    again = await provider.stop_broadcast(handle)
    assert again.state is BroadcastState.ENDED
    assert again.message is None
    assert (await provider.refresh_status(handle)).state is BroadcastState.ENDED


async def test_start_goes_live_once_the_encoder_sends(
    twitch: Wired, emulator: TwitchEmulator
) -> None:
    handle = await twitch.provider.create_broadcast(REQUEST)
    live = await twitch.provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE
    assert emulator.channel.title == REQUEST.title
    assert emulator.requests["PATCH channels"] == 1


async def test_stream_that_stops_sending_counts_as_ended(
    twitch: Wired, emulator: TwitchEmulator
) -> None:
    handle = await twitch.provider.create_broadcast(REQUEST)
    await twitch.provider.start_broadcast(handle)
    emulator.disconnect_encoder()
    emulator.live_after = None
    status = await twitch.provider.refresh_status(handle)
    assert status.state is BroadcastState.ENDED
    assert "encoder stopped" in (status.message or "")


# -- category ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "game_id", "name"),
    [
        ("Just Chatting", "509658", "Just Chatting"),
        ("just chatting", "509658", "Just Chatting"),  # found through search
        ("33214", "33214", "Fortnite"),
    ],
)
async def test_category_lookup(
    twitch: Wired, emulator: TwitchEmulator, given: str, game_id: str, name: str
) -> None:
    request = BroadcastRequest(title="Play", settings={"category": given})
    handle = await twitch.provider.create_broadcast(request)
    assert handle.data["game_id"] == game_id
    assert handle.data["category"] == name
    await twitch.provider.start_broadcast(handle)
    assert emulator.channel.game_id == game_id
    assert emulator.channel.updates[-1] == {"title": "Play", "game_id": game_id}


async def test_unknown_category_fails_before_the_key_is_read(
    twitch: Wired, emulator: TwitchEmulator
) -> None:
    request = BroadcastRequest(title="Play", settings={"category": "Science"})
    with pytest.raises(InvalidRequest, match="did you mean: Science & Technology"):
        await twitch.provider.create_broadcast(request)
    assert emulator.requests["GET streams/key"] == 0


async def test_default_category_from_deployment_option(
    wire: Callable[..., Awaitable[Wired]],
) -> None:
    wired = await wire(category="Music")
    handle = await wired.provider.create_broadcast(REQUEST)
    assert handle.data["game_id"] == "26936"


# -- errors and tokens -------------------------------------------------------------------------


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {})


def test_parse_error_maps_helix_json() -> None:
    info = Twitch.parse_error(
        _response(401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"})
    )
    assert info.kind is AuthExpired
    assert info.message == "Invalid OAuth token"
    assert info.code == "Unauthorized"
    reset = str(int(time.time()) + 30)
    limited = Twitch.parse_error(
        _response(
            429,
            {"error": "Too Many Requests", "status": 429, "message": "Too Many Requests"},
            {"Ratelimit-Reset": reset, "Ratelimit-Remaining": "0", "Ratelimit-Limit": "800"},
        )
    )
    assert limited.kind is RateLimited
    assert limited.retry_after is not None and 28 <= limited.retry_after <= 30
    plain = Twitch.parse_error(httpx.Response(502, text="<html>bad gateway</html>"))
    assert plain.message.startswith("HTTP 502")


async def test_rate_limit_waits_until_ratelimit_reset(
    twitch: Wired, emulator: TwitchEmulator
) -> None:
    emulator.faults.rate_limit_next = 1
    started = time.monotonic()
    handle = await twitch.provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert time.monotonic() - started >= 0.9  # waited for the reset, no Retry-After sent


async def test_exhausted_bucket_is_a_429_with_reset(
    raw: httpx.AsyncClient, emulator: TwitchEmulator
) -> None:
    emulator.points_per_minute = 2
    auth = headers(emulator)
    codes = [(await raw.get("users", headers=auth)) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    last = codes[-1]
    assert last.json() == {
        "error": "Too Many Requests",
        "status": 429,
        "message": "Too Many Requests",
    }
    assert last.headers["Ratelimit-Limit"] == "2"
    assert last.headers["Ratelimit-Remaining"] == "0"
    assert int(last.headers["Ratelimit-Reset"]) > time.time()
    assert "Retry-After" not in last.headers
    error = Twitch.parse_error(last)
    assert error.kind is RateLimited and error.retry_after is not None


async def test_server_errors_are_retried_then_reported(
    twitch: Wired, emulator: TwitchEmulator
) -> None:
    emulator.faults.fail_next = 1
    assert (await twitch.provider.create_broadcast(REQUEST)).state is BroadcastState.READY
    emulator.faults.error_rate = 1.0
    with pytest.raises(Unavailable):
        await twitch.provider.create_broadcast(REQUEST)


async def test_token_refresh_after_401(twitch: Wired, emulator: TwitchEmulator) -> None:
    emulator.oauth.expire_access_tokens()
    handle = await twitch.provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert twitch.token.refresh_count == 1
    assert emulator.oauth.grants["refresh_token"] == 1
    assert set(twitch.token.credentials.scopes) == set(Twitch.scopes)


async def test_refused_refresh_is_auth_expired_in_twitchs_words(
    twitch: Wired, emulator: TwitchEmulator
) -> None:
    emulator.oauth.expire_access_tokens()
    emulator.faults.refuse_refresh = True
    with pytest.raises(AuthExpired) as caught:
        await twitch.provider.create_broadcast(REQUEST)
    assert caught.value.code == "Bad Request"
    assert "expired or revoked" in str(caught.value)  # what says why, not the status text


async def test_oauth_code_flow_needs_the_secret(
    config: PlatformConfig, emulator: TwitchEmulator
) -> None:
    flow = OAuthFlow(Twitch, config)
    verifier, redirect = new_code_verifier(), "http://127.0.0.1:3000/oauth/twitch/callback"
    url = flow.authorize_url(state=new_state(), code_verifier=verifier, redirect_uri=redirect)
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    credentials = await flow.exchange(code=code, code_verifier=verifier, redirect_uri=redirect)
    assert set(credentials.scopes) == set(Twitch.scopes)  # Twitch answers scope as a list
    assert credentials.refresh_token is not None
    secretless = PlatformConfig(endpoints=config.endpoints, client_id=config.client_id)
    url = OAuthFlow(Twitch, secretless).authorize_url(
        state=new_state(), code_verifier=verifier, redirect_uri=redirect
    )
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    with pytest.raises(InvalidRequest) as refused:
        await OAuthFlow(Twitch, secretless).exchange(
            code=code, code_verifier=verifier, redirect_uri=redirect
        )
    assert refused.value.code == "Bad Request"  # Twitch's token errors carry no error code
    assert str(refused.value) != "twitch: Bad Request"


# -- strict emulator ---------------------------------------------------------------------------


async def test_helix_needs_bearer_and_matching_client_id(
    raw: httpx.AsyncClient, emulator: TwitchEmulator
) -> None:
    auth = headers(emulator)
    missing = await raw.get("users", headers={"Authorization": auth["Authorization"]})
    assert missing.status_code == 401
    assert missing.json() == {
        "error": "Unauthorized",
        "status": 401,
        "message": "Client ID is missing",
    }
    other = await raw.get("users", headers=headers(emulator, client_id="someoneelse"))
    assert other.status_code == 401
    assert other.json()["message"] == "Client ID and OAuth token do not match"
    anonymous = await raw.get("users", headers={"Client-Id": emulator.client_id})
    assert anonymous.json()["message"] == "OAuth token is missing"
    emulator.oauth.expire_access_tokens()
    expired = await raw.get("users", headers=auth)
    assert expired.status_code == 401
    assert expired.json()["message"] == "Invalid OAuth token"


async def test_helix_rejects_what_twitch_rejects(
    raw: httpx.AsyncClient, emulator: TwitchEmulator
) -> None:
    auth = headers(emulator)
    me = emulator.channel.user_id
    wrong = await raw.get("streams/key", params={"broadcaster_id": "1"}, headers=auth)
    assert wrong.status_code == 401
    no_id = await raw.get("streams/key", headers=auth)
    assert no_id.status_code == 400
    empty = await raw.patch("channels", params={"broadcaster_id": me}, json={}, headers=auth)
    assert empty.status_code == 400
    long = await raw.patch(
        "channels", params={"broadcaster_id": me}, json={"title": "x" * 141}, headers=auth
    )
    assert long.status_code == 400
    game = await raw.patch(
        "channels", params={"broadcaster_id": me}, json={"game_id": "999"}, headers=auth
    )
    assert game.status_code == 400
    unknown = await raw.get("streams", params={"userid": me}, headers=auth)
    assert unknown.status_code == 400
    first = await raw.get("streams", params={"first": "101"}, headers=auth)
    assert first.status_code == 400
    ok = await raw.patch(
        "channels", params={"broadcaster_id": me}, json={"title": "Hi"}, headers=auth
    )
    assert ok.status_code == 204
    assert int(ok.headers["Ratelimit-Remaining"]) < int(ok.headers["Ratelimit-Limit"])


async def test_scopes_are_enforced(raw: httpx.AsyncClient, emulator: TwitchEmulator) -> None:
    token = emulator.oauth.issue_tokens(emulator.client_id, ("user:read:email",))["access_token"]
    auth = {"Authorization": f"Bearer {token}", "Client-Id": emulator.client_id}
    me = emulator.channel.user_id
    key = await raw.get("streams/key", params={"broadcaster_id": me}, headers=auth)
    assert key.status_code == 401
    assert key.json()["message"] == "Missing scope: channel:read:stream_key"


async def test_a_grant_older_than_the_moderation_scopes_still_refreshes(
    config: PlatformConfig, emulator: TwitchEmulator
) -> None:
    """A connection made before golive asked for the moderation scopes keeps working: the
    refresh asks for no scope (RFC 6749 section 6), so Twitch renews what was granted."""
    older = [s for s in Twitch.scopes if not s.startswith("moderator:")]
    assert len(older) < len(Twitch.scopes)
    minted = emulator.oauth.issue_tokens(emulator.client_id, older)
    credentials = Credentials(
        access_token=SecretStr(minted["access_token"]),
        refresh_token=SecretStr(minted["refresh_token"]),
        scopes=tuple(older),
    )
    fresh = await OAuthFlow(Twitch, config).refresh(credentials)
    assert fresh.access_token is not None
    assert set(fresh.scopes) == set(older)
