"""The real Restream provider over real HTTP against the Restream emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from providers import provider_class
from providers.base import (
    BroadcastRequest,
    BroadcastState,
    Credentials,
    LivestreamProvider,
    PlatformConfig,
)
from providers.errors import AuthExpired, InvalidRequest, RateLimited
from providers.http import PlatformHttp, RetryPolicy, StoredToken
from providers.oauth import OAuthFlow, credentials_from_token
from providers.restream import (
    NO_WATCH_PAGE,
    STILL_SENDING,
    WAITING,
    Restream,
    format_flags,
    parse_flags,
    platform_key,
)
from providers.sandbox import Sandbox, start_sandbox
from providers.sandbox.restream import RestreamEmulator, RestreamError
from providers.youtube import YouTube

REQUEST = BroadcastRequest(title="Launch", description="All hands")
TWITCH, YOUTUBE, FACEBOOK, LINKEDIN, CUSTOM = range(1_000_000, 1_000_005)


class FastRetry(RetryPolicy):
    def wait(self, retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return super().wait(retry_state)
        return 0.01


@dataclass
class Wired:
    provider: Restream
    token: StoredToken
    http: PlatformHttp


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with await start_sandbox(["restream"]) as running:
        yield running


@pytest.fixture
def emulator(sandbox: Sandbox) -> RestreamEmulator:
    emulator = sandbox.emulators["restream"]
    assert isinstance(emulator, RestreamEmulator)
    return emulator


def issue(emulator: RestreamEmulator, scopes: tuple[str, ...] = Restream.scopes) -> Credentials:
    return credentials_from_token(emulator.oauth.issue_tokens(emulator.client_id, scopes))


@pytest.fixture
async def wire(
    sandbox: Sandbox, emulator: RestreamEmulator
) -> AsyncIterator[Callable[..., Awaitable[Wired]]]:
    made: list[PlatformHttp] = []
    client_id, secret = sandbox.clients["restream"]

    async def make(credentials: Credentials | None = None, **options: str) -> Wired:
        cfg = PlatformConfig(
            endpoints=sandbox.endpoints["restream"],
            client_id=client_id,
            client_secret=SecretStr(secret),
            options={"encoder_polls": "2", "encoder_wait_seconds": "0.01", **options},
        )
        token = StoredToken(
            "restream", credentials or issue(emulator), refresher=OAuthFlow(Restream, cfg).refresh
        )
        http = PlatformHttp("restream", cfg.endpoints.api_url, token=token, retry=FastRetry())
        made.append(http)
        return Wired(Restream(cfg, http), token, http)

    yield make
    for http in made:
        await http.aclose()


@pytest.fixture
async def restream(wire: Callable[..., Awaitable[Wired]]) -> Wired:
    return await wire()


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.endpoints["restream"].api_url + "/") as client:
        yield client


def bearer(emulator: RestreamEmulator, scopes: tuple[str, ...] = Restream.scopes) -> dict:
    token = emulator.oauth.issue_tokens(emulator.client_id, scopes)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def request_for(channels: str) -> BroadcastRequest:
    return BroadcastRequest(title="Launch", settings={"channels": channels})


# -- declaration -------------------------------------------------------------------------------


def test_declaration_and_registry() -> None:
    assert provider_class("restream") is Restream
    assert Restream.default_endpoints.api_url == "https://api.restream.io/v2"
    assert Restream.default_endpoints.auth_url == "https://api.restream.io/login"
    assert Restream.default_endpoints.token_url == "https://api.restream.io/oauth/token"
    assert Restream.aggregates_ingest is True
    assert not getattr(YouTube, "aggregates_ingest", False)
    assert {"channels.read", "channels.write", "stream.read"} <= set(Restream.scopes)


async def test_implements_the_protocol(restream: Wired) -> None:
    assert isinstance(restream.provider, LivestreamProvider)


def test_check_settings_and_helpers() -> None:
    Restream.check_settings({"channels": "twitch, youtube,1000003"})
    with pytest.raises(InvalidRequest, match="no setting category"):
        Restream.check_settings({"category": "x"})
    with pytest.raises(InvalidRequest, match="separated by commas"):
        Restream.check_settings({"channels": "twitch,,youtube"})
    assert platform_key("Facebook Page") == "facebook"
    assert platform_key("Youtube") == "youtube"
    assert platform_key("Custom RTMP") == "customrtmp"
    flags = {"1": True, "2": False}
    assert parse_flags(format_flags(flags)) == flags


# -- lifecycle ---------------------------------------------------------------------------------


async def test_create_start_status_stop(restream: Wired, emulator: RestreamEmulator) -> None:
    before = emulator.active_flags()
    provider = restream.provider
    handle = await provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert handle.watch_url is None
    assert handle.message is not None and handle.message.startswith(NO_WATCH_PAGE)
    assert "Twitch (golive_sandbox)" in handle.message
    assert handle.ingest_url == "rtmp://live.restream.io/live"  # Autodetect
    assert handle.stream_key is not None
    assert handle.stream_key.get_secret_value() == emulator.stream_key
    assert emulator.stream_key not in repr(handle)
    assert handle.remote_id == str(emulator.user_id)
    # default: the channels already enabled; nothing switched
    assert handle.data["channels"] == f"{TWITCH},{YOUTUBE},{CUSTOM}"
    assert handle.data["carries"] == "twitch,youtube,customrtmp"
    assert emulator.switches == []
    assert emulator.channels[TWITCH].title == "Launch"
    assert emulator.channels[YOUTUBE].description == "All hands"

    live = await provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE
    assert emulator.event is not None
    assert {c.id for c in emulator.event.channels} == {TWITCH, YOUTUBE, CUSTOM}
    assert (await provider.refresh_status(handle)).state is BroadcastState.LIVE

    ended = await provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert ended.message == STILL_SENDING
    assert emulator.active_flags() == before
    emulator.disconnect_encoder()
    assert (await provider.refresh_status(handle)).message is None


async def test_start_waits_for_the_encoder(restream: Wired, emulator: RestreamEmulator) -> None:
    emulator.live_after = None
    handle = await restream.provider.create_broadcast(REQUEST)
    waiting = await restream.provider.start_broadcast(handle)
    assert waiting.state is BroadcastState.READY
    assert waiting.message == WAITING
    emulator.connect_encoder()
    assert (await restream.provider.start_broadcast(handle)).state is BroadcastState.LIVE


async def test_selected_channels_are_switched_once_and_restored(
    restream: Wired, emulator: RestreamEmulator
) -> None:
    before = emulator.active_flags()
    provider = restream.provider
    handle = await provider.create_broadcast(request_for("facebook,twitch"))
    assert emulator.active_flags() == {
        TWITCH: True,
        YOUTUBE: False,
        FACEBOOK: True,
        LINKEDIN: False,
        CUSTOM: False,
    }
    assert sorted(emulator.switches) == [(YOUTUBE, False), (FACEBOOK, True), (CUSTOM, False)]
    assert handle.data["carries"] == "facebook,twitch"
    assert emulator.channels[FACEBOOK].title == "Launch"
    assert emulator.channels[YOUTUBE].title != "Launch"
    await provider.start_broadcast(handle)
    await provider.start_broadcast(handle)  # a second start switches nothing
    assert len(emulator.switches) == 3
    ended = await provider.stop_broadcast(handle)
    assert emulator.active_flags() == before
    assert len(emulator.switches) == 6
    assert "3 Restream channel(s) set back" in (ended.message or "")
    await provider.stop_broadcast(handle)  # idempotent
    assert len(emulator.switches) == 6


async def test_channels_by_id_and_from_deployment_option(
    wire: Callable[..., Awaitable[Wired]], emulator: RestreamEmulator
) -> None:
    wired = await wire(channels="linkedin")
    handle = await wired.provider.create_broadcast(REQUEST)
    assert handle.data["channels"] == str(LINKEDIN)
    await wired.provider.stop_broadcast(handle)
    by_id = await wired.provider.create_broadcast(request_for(str(YOUTUBE)))
    assert by_id.data["channels"] == str(YOUTUBE)


async def test_unknown_channel_changes_nothing(restream: Wired, emulator: RestreamEmulator) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await restream.provider.create_broadcast(request_for("twitch,tiktok"))
    assert "no channel 'tiktok'" in caught.value.message
    assert f"{LINKEDIN} LinkedIn (golive)" in caught.value.message
    assert emulator.switches == []


async def test_nothing_enabled_and_nothing_chosen_is_refused(
    restream: Wired, emulator: RestreamEmulator
) -> None:
    for channel in emulator.channels.values():
        channel.active = False
    with pytest.raises(InvalidRequest, match="no Restream channel is enabled"):
        await restream.provider.create_broadcast(REQUEST)


async def test_a_failure_midway_puts_the_channels_back(
    restream: Wired, emulator: RestreamEmulator
) -> None:
    before = emulator.active_flags()
    emulator.meta_error = RestreamError(400, "title rejected", "invalid_request")
    with pytest.raises(InvalidRequest, match="title rejected"):
        await restream.provider.create_broadcast(request_for("linkedin"))
    assert emulator.active_flags() == before


async def test_scheduled_broadcast_switches_channels_at_start(
    restream: Wired, emulator: RestreamEmulator
) -> None:
    before = emulator.active_flags()
    later = datetime.now(UTC) + timedelta(hours=3)
    request = BroadcastRequest(
        title="Later", scheduled_start=later, settings={"channels": "linkedin"}
    )
    handle = await restream.provider.create_broadcast(request)
    assert emulator.active_flags() == before  # the account is left alone until start
    assert "switched at start" in (handle.message or "")
    await restream.provider.start_broadcast(handle)
    assert [c for c, on in emulator.active_flags().items() if on] == [LINKEDIN]
    await restream.provider.stop_broadcast(handle)
    assert emulator.active_flags() == before


async def test_ingest_server_option(wire: Callable[..., Awaitable[Wired]]) -> None:
    wired = await wire(ingest_server="london.restream.io")
    handle = await wired.provider.create_broadcast(REQUEST)
    assert handle.ingest_url == "rtmp://london.restream.io/live"
    unknown = await wire(ingest_server="mars")
    with pytest.raises(InvalidRequest, match="no ingest server"):
        await unknown.provider.create_broadcast(REQUEST)


# -- the property: every channel ends as it began --------------------------------------------

flags = st.lists(st.booleans(), min_size=5, max_size=5)
subsets = st.sets(st.sampled_from(range(5)), min_size=1)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(initial=flags, chosen=subsets)
async def test_restream_channels_end_as_they_began(
    restream: Wired, emulator: RestreamEmulator, initial: list[bool], chosen: set[int]
) -> None:
    """For any starting flags and any chosen subset: exactly the chosen channels are enabled
    during the broadcast, each channel is switched at most once each way, and after stop
    every channel's flag is what it was before."""
    ids = sorted(emulator.channels)
    for channel_id, active in zip(ids, initial, strict=True):
        emulator.channels[channel_id].active = active
    emulator.switches.clear()
    emulator.disconnect_encoder()
    before = emulator.active_flags()
    selection = ",".join(str(ids[i]) for i in sorted(chosen))
    handle = await restream.provider.create_broadcast(request_for(selection))
    wanted = {ids[i] for i in chosen}
    assert {c for c, on in emulator.active_flags().items() if on} == wanted
    differing = {c for c in ids if before[c] != (c in wanted)}
    assert sorted(c for c, _ in emulator.switches) == sorted(differing)
    await restream.provider.start_broadcast(handle)
    await restream.provider.stop_broadcast(handle)
    assert emulator.active_flags() == before
    assert sorted(c for c, _ in emulator.switches) == sorted([*differing, *differing])


# -- errors and tokens -------------------------------------------------------------------------


def test_parse_error_maps_restream_json() -> None:
    body = {
        "error": {
            "statusCode": 401,
            "status": 401,
            "code": 401,
            "message": "Invalid token: access token is invalid",
            "name": "invalid_token",
        }
    }
    info = Restream.parse_error(httpx.Response(401, json=body))
    assert info.kind is AuthExpired
    assert info.code == "invalid_token"
    assert info.message == "Invalid token: access token is invalid"
    missing = {
        "error": {"statusCode": 404, "message": "ChannelNotFound", "name": "channel_not_found"}
    }
    assert Restream.parse_error(httpx.Response(404, json=missing)).code == "channel_not_found"
    assert Restream.parse_error(httpx.Response(429, json={})).kind is RateLimited
    flat = Restream.parse_error(httpx.Response(400, json={"error": "invalid_grant"}))
    assert flat.kind is AuthExpired
    scope = {"error": {"statusCode": 403, "message": "Insufficient", "name": "insufficient_scope"}}
    assert Restream.parse_error(httpx.Response(403, json=scope)).kind is AuthExpired


async def test_rate_limit_is_retried_after_retry_after(
    restream: Wired, emulator: RestreamEmulator
) -> None:
    emulator.faults.rate_limit_next = 1
    handle = await restream.provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY


async def test_token_refresh_after_401_rotates_the_pair(
    restream: Wired, emulator: RestreamEmulator
) -> None:
    old = restream.token.credentials
    emulator.oauth.expire_access_tokens()
    handle = await restream.provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert restream.token.refresh_count == 1
    fresh = restream.token.credentials
    assert fresh.refresh_token is not None and old.refresh_token is not None
    assert fresh.refresh_token.get_secret_value() != old.refresh_token.get_secret_value()
    assert emulator.oauth.refresh_tokens[old.refresh_token.get_secret_value()].revoked


async def test_refused_refresh_is_auth_expired(restream: Wired, emulator: RestreamEmulator) -> None:
    emulator.oauth.expire_access_tokens()
    emulator.faults.refuse_refresh = True
    with pytest.raises(AuthExpired):
        await restream.provider.create_broadcast(REQUEST)


# -- strict emulator ---------------------------------------------------------------------------


async def test_emulator_rejects_what_restream_rejects(
    raw: httpx.AsyncClient, emulator: RestreamEmulator
) -> None:
    auth = bearer(emulator)
    anonymous = await raw.get("user/channel/all")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["name"] == "invalid_token"
    assert (await raw.get("server/all")).status_code == 200  # public
    assert (await raw.get("platform/all")).json()[0] == {
        "id": 1,
        "name": "Twitch",
        "url": "http://twitch.tv",
        "image": {
            "png": "https://restream.io/img/api/platforms/platform-1.png",
            "svg": "https://restream.io/img/api/platforms/platform-1.svg",
        },
    }
    missing = await raw.patch("user/channel/42", json={"active": True}, headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "ChannelNotFound"
    extra = await raw.patch(f"user/channel/{TWITCH}", json={"active": True, "x": 1}, headers=auth)
    assert extra.status_code == 400
    typed = await raw.patch(f"user/channel/{TWITCH}", json={"active": "yes"}, headers=auth)
    assert typed.status_code == 400
    form = await raw.patch(f"user/channel/{TWITCH}", data={"active": "true"}, headers=auth)
    assert form.status_code == 400
    untitled = await raw.patch(f"user/channel-meta/{TWITCH}", json={"title": ""}, headers=auth)
    assert untitled.status_code == 400
    ok = await raw.patch(f"user/channel/{TWITCH}", json={"active": False}, headers=auth)
    assert ok.status_code == 200 and ok.content == b""
    read_only = bearer(emulator, ("channels.read",))
    denied = await raw.patch(f"user/channel/{TWITCH}", json={"active": True}, headers=read_only)
    assert denied.status_code == 403
    assert (await raw.get("user/streamKey", headers=read_only)).status_code == 403
    emulator.oauth.expire_access_tokens()
    assert (await raw.get("user/profile", headers=auth)).status_code == 401


# -- through the broadcast service -------------------------------------------------------------


async def test_ingest_plan_hands_out_restreams_ingest(services: Any) -> None:
    """With Restream among the platforms the encoder needs one output: Restream's; the
    platforms Restream forwards to are named and get no output of their own."""
    from bot.commands import CreateBroadcast

    cmd = CreateBroadcast(
        title="Launch",
        platforms=("youtube", "twitch", "restream"),
        primary="youtube",
        start=None,
        record=False,
        settings={"twitch": {"category": "Just Chatting"}, "restream": {"channels": "twitch"}},
    )
    stream = await services.livestreams.create("w", "U1", cmd)
    states = {row.platform: row.status for row in stream.platforms}
    assert states == {"youtube": "ready", "twitch": "ready", "restream": "ready"}
    plan = await services.livestreams.ingest_plan("w", stream.id, "U1")
    assert [(platform, url) for platform, url, _ in plan.outputs] == [
        ("youtube", "rtmps://a.rtmps.youtube.com/live2"),
        ("restream", "rtmp://live.restream.io/live"),
    ]
    assert plan.carried == {"restream": ["twitch"]}
    _, outcomes = await services.livestreams.start("w", "U1", stream.id)
    assert {o.platform for o in outcomes} == {"youtube", "twitch", "restream"}
    emulator = services.sandbox.emulators["restream"]
    before_stop = emulator.active_flags()
    assert [c for c, on in before_stop.items() if on] == [TWITCH]
    await services.livestreams.stop("w", "U1", stream.id)
    assert emulator.active_flags()[YOUTUBE] is True  # put back as the account had it
    assert services.sandbox.emulators["twitch"].channel.game_id == "509658"
