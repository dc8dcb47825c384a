"""The real YouTube provider over real HTTP against the emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

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
from providers.http import PlatformHttp, StoredToken
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import (
    ENCODER_NOT_SENDING,
    QUOTA_COSTS,
    QuotaExceeded,
    YouTube,
    clean_text,
    seconds_until_quota_reset,
)

if TYPE_CHECKING:
    from conftest import Wired

Wire = Callable[..., Awaitable["Wired"]]
REQUEST = BroadcastRequest(title="Quarterly town hall", description="Q&A at the end")
CREATE_COST = 3 * 50  # liveBroadcasts.insert + liveStreams.insert + liveBroadcasts.bind


def test_declaration_and_registry() -> None:
    assert provider_class("youtube") is YouTube
    assert YouTube.name == "youtube"
    assert YouTube.default_endpoints.api_url == "https://www.googleapis.com/youtube/v3"
    assert YouTube.default_endpoints.token_url == "https://oauth2.googleapis.com/token"
    assert YouTube.authorize_params == {"access_type": "offline", "prompt": "consent"}
    assert Capability.CREATE_BROADCAST in YouTube.capabilities
    assert Capability.VIEWER_COUNT in YouTube.capabilities


async def test_implements_the_protocols(youtube: Wired) -> None:
    assert isinstance(youtube.provider, LivestreamProvider)
    assert isinstance(youtube.provider, ViewerStats)


async def test_create_start_stop_lifecycle(youtube: Wired, emulator: YouTubeEmulator) -> None:
    provider = youtube.provider
    handle = await provider.create_broadcast(REQUEST)
    assert handle.state is BroadcastState.READY
    assert handle.watch_url == f"https://www.youtube.com/watch?v={handle.remote_id}"
    stream = emulator.streams[handle.data["stream_id"]]
    info = stream.cdn["ingestionInfo"]
    assert handle.ingest_url == info["rtmpsIngestionAddress"]
    assert handle.ingest_url is not None and handle.ingest_url.startswith("rtmps://")
    assert handle.stream_key is not None
    assert handle.stream_key.get_secret_value() == info["streamName"]
    assert info["streamName"] not in repr(handle)
    assert handle.quota_used == CREATE_COST
    broadcast = emulator.broadcasts[handle.remote_id]
    assert broadcast.snippet["title"] == REQUEST.title
    assert broadcast.bound_stream == stream.id
    assert broadcast.content_details["monitorStream"]["enableMonitorStream"] is False

    status = await provider.refresh_status(handle)
    assert status.state is BroadcastState.READY
    assert status.message == "the encoder is sending"  # auto_encoder connected on bind

    live = await provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE
    assert emulator.broadcasts[handle.remote_id].life == "live"
    assert (await provider.refresh_status(handle)).state is BroadcastState.LIVE

    ended = await provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert emulator.broadcasts[handle.remote_id].life == "complete"

    assert handle.quota_used == provider.quota_spent == emulator.quota_used()


async def test_quota_counting_matches_the_emulator(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    provider = youtube.provider
    handle = await provider.create_broadcast(REQUEST)
    assert emulator.quota_used() == CREATE_COST
    await provider.start_broadcast(handle)
    # liveBroadcasts.list + liveStreams.list + transition
    assert handle.quota_used == CREATE_COST + 1 + 1 + 50
    await provider.viewer_count(handle)
    with pytest.raises(InvalidRequest):
        await provider.start_broadcast(
            type(handle)(remote_id="missing", state=BroadcastState.READY)
        )
    assert provider.quota_spent == emulator.quota_used()


async def test_start_waits_for_the_encoder_then_fails_clearly(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    emulator.auto_encoder = False
    handle = await youtube.provider.create_broadcast(REQUEST)
    before = emulator.requests["youtube.liveStreams.list"]
    with pytest.raises(InvalidRequest) as caught:
        await youtube.provider.start_broadcast(handle)
    assert caught.value.message == ENCODER_NOT_SENDING
    assert caught.value.message.startswith("the encoder is not sending yet")
    assert emulator.requests["youtube.liveStreams.list"] - before == 3  # encoder_polls
    assert emulator.requests["youtube.liveBroadcasts.transition"] == 0
    assert handle.message == "waiting for the encoder"
    assert (await youtube.provider.refresh_status(handle)).message == "waiting for the encoder"


async def test_start_succeeds_once_the_encoder_connects_while_polling(
    wire: Wire, credentials: Credentials, emulator: YouTubeEmulator
) -> None:
    emulator.auto_encoder = False
    wired = await wire(credentials, encoder_polls="20", encoder_wait_seconds="0.02")
    handle = await wired.provider.create_broadcast(REQUEST)
    stream_id = handle.data["stream_id"]
    asyncio.get_running_loop().call_later(0.05, emulator.connect_encoder, stream_id)
    live = await wired.provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE


async def test_transition_rejected_when_the_encoder_drops_between_poll_and_transition(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    original = emulator._params

    def drop_before_transition(request, method):  # type: ignore[no-untyped-def]
        if method.id == "youtube.liveBroadcasts.transition":
            emulator.disconnect_encoder(handle.data["stream_id"])
        return original(request, method)

    emulator._params = drop_before_transition  # type: ignore[method-assign]
    with pytest.raises(InvalidRequest) as caught:
        await youtube.provider.start_broadcast(handle)
    assert caught.value.code == "errorStreamInactive"
    assert caught.value.message == ENCODER_NOT_SENDING


async def test_monitor_stream_goes_through_testing(
    wire: Wire, credentials: Credentials, emulator: YouTubeEmulator
) -> None:
    emulator.transition_delay = 0.03
    wired = await wire(credentials, monitor_stream="true", encoder_wait_seconds="0.02")
    handle = await wired.provider.create_broadcast(REQUEST)
    live = await wired.provider.start_broadcast(handle)
    assert live.state is BroadcastState.LIVE  # liveStarting counts as live
    assert emulator.requests["youtube.liveBroadcasts.transition"] == 2
    await asyncio.sleep(0.04)
    assert (await wired.provider.refresh_status(handle)).data["life_cycle_status"] == "live"


async def test_start_is_idempotent(youtube: Wired, emulator: YouTubeEmulator) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    await youtube.provider.start_broadcast(handle)
    again = await youtube.provider.start_broadcast(handle)
    assert again.state is BroadcastState.LIVE
    assert emulator.requests["youtube.liveBroadcasts.transition"] == 1


async def test_stop_is_idempotent(youtube: Wired, emulator: YouTubeEmulator) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    await youtube.provider.start_broadcast(handle)
    await youtube.provider.stop_broadcast(handle)
    spent = handle.quota_used
    again = await youtube.provider.stop_broadcast(handle)
    assert again.state is BroadcastState.ENDED
    assert handle.quota_used == spent + 1  # one status read, no second transition
    assert emulator.requests["youtube.liveBroadcasts.transition"] == 2


async def test_stop_before_going_live_removes_the_broadcast(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    ended = await youtube.provider.stop_broadcast(handle)
    assert ended.state is BroadcastState.ENDED
    assert handle.remote_id not in emulator.broadcasts
    assert "never went live" in (ended.message or "")
    assert (await youtube.provider.stop_broadcast(handle)).state is BroadcastState.ENDED
    assert (await youtube.provider.refresh_status(handle)).state is BroadcastState.FAILED


async def test_viewer_count(youtube: Wired, emulator: YouTubeEmulator) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    assert await youtube.provider.viewer_count(handle) is None
    await youtube.provider.start_broadcast(handle)
    assert await youtube.provider.viewer_count(handle) == 0
    emulator.set_viewers(handle.remote_id, 42)
    assert await youtube.provider.viewer_count(handle) == 42
    emulator.set_viewers(handle.remote_id, None)  # hidden by the owner
    assert await youtube.provider.viewer_count(handle) is None


async def test_request_fields_reach_youtube(youtube: Wired, emulator: YouTubeEmulator) -> None:
    start = datetime(2031, 5, 1, 18, 30, tzinfo=UTC)
    request = BroadcastRequest(
        title="<b>" + "x" * 120, scheduled_start=start, record=True, privacy="unlisted"
    )
    handle = await youtube.provider.create_broadcast(request)
    broadcast = emulator.broadcasts[handle.remote_id]
    assert broadcast.snippet["scheduledStartTime"] == "2031-05-01T18:30:00.000Z"
    assert broadcast.status["privacyStatus"] == "unlisted"
    assert broadcast.content_details["recordFromStart"] is True
    title = broadcast.snippet["title"]
    assert len(title) == 100 and "<" not in title and title.endswith("…")
    with pytest.raises(InvalidRequest):
        await youtube.provider.create_broadcast(BroadcastRequest(title="t", privacy="friends"))


async def test_failed_create_leaves_nothing_behind(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    youtube.provider.resolution = "4k"  # not a cdn.resolution YouTube knows
    with pytest.raises(InvalidRequest) as caught:
        await youtube.provider.create_broadcast(REQUEST)
    assert caught.value.status == 400
    assert emulator.requests["youtube.liveBroadcasts.insert"] == 1
    assert emulator.requests["youtube.liveBroadcasts.delete"] == 1
    assert emulator.broadcasts == {}
    assert youtube.provider.quota_spent == emulator.quota_used() == 50 + 1 + 50


async def test_server_errors_are_retried_then_mapped_to_unavailable(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    emulator.faults.fail_next = 2
    handle = await youtube.provider.create_broadcast(REQUEST)
    assert emulator.requests["youtube.liveBroadcasts.insert"] == 3
    assert handle.quota_used == CREATE_COST  # failed attempts cost nothing

    emulator.faults.error_rate = 1.0
    with pytest.raises(Unavailable) as caught:
        await youtube.provider.refresh_status(handle)
    assert caught.value.code == "backendError"
    assert caught.value.status == 500
    assert emulator.requests["youtube.liveBroadcasts.list"] == youtube.http.retry.attempts


async def test_seeded_error_rate_is_reproducible(emulator: YouTubeEmulator) -> None:
    emulator.faults.error_rate = 0.5
    emulator.faults.reseed(7)
    first = [emulator.faults.take_error() for _ in range(20)]
    emulator.faults.reseed(7)
    assert [emulator.faults.take_error() for _ in range(20)] == first
    assert any(first) and not all(first)


async def test_expired_token_refreshes_exactly_once(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    emulator.oauth.expire_access_tokens()
    status = await youtube.provider.refresh_status(handle)
    assert status.state is BroadcastState.READY
    assert youtube.token.refresh_count == 1
    assert emulator.oauth.grants["refresh_token"] == 1


async def test_ten_concurrent_calls_share_one_refresh(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    emulator.oauth.expire_access_tokens()
    emulator.faults.latency = 0.02  # keep the ten requests in flight together
    results = await asyncio.gather(*(youtube.provider.viewer_count(handle) for _ in range(10)))
    assert results == [None] * 10
    assert youtube.token.refresh_count == 1
    assert emulator.oauth.grants["refresh_token"] == 1


async def test_refused_refresh_is_auth_expired(youtube: Wired, emulator: YouTubeEmulator) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    emulator.oauth.expire_access_tokens()
    emulator.faults.refuse_refresh = True
    with pytest.raises(AuthExpired) as caught:
        await youtube.provider.refresh_status(handle)
    assert caught.value.code == "invalid_grant"
    assert emulator.oauth.grants["refresh_token"] == 0


async def test_tokens_that_keep_failing_end_in_auth_expired(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    emulator.faults.expire_tokens = True
    with pytest.raises(AuthExpired) as caught:
        await youtube.provider.create_broadcast(REQUEST)
    assert youtube.token.refresh_count == 1  # one refresh, then give up
    assert caught.value.status == 401
    token = youtube.token.credentials.access_token
    assert token is not None and token.get_secret_value() not in str(caught.value)


async def test_rate_limit_honours_retry_after(youtube: Wired, emulator: YouTubeEmulator) -> None:
    handle = await youtube.provider.create_broadcast(REQUEST)
    emulator.faults.rate_limit_next = 1
    started = time.monotonic()
    await youtube.provider.refresh_status(handle)
    assert time.monotonic() - started >= 0.95  # Retry-After: 1
    assert emulator.requests["youtube.liveBroadcasts.list"] == 2


async def test_quota_exhaustion_is_not_retried(youtube: Wired, emulator: YouTubeEmulator) -> None:
    emulator.set_quota_used(emulator.daily_quota - 10)
    with pytest.raises(QuotaExceeded) as caught:
        await youtube.provider.create_broadcast(REQUEST)
    assert isinstance(caught.value, RateLimited)
    assert caught.value.code == "quotaExceeded"
    assert "<a" not in caught.value.message and "quota" in caught.value.message
    assert caught.value.retry_after is not None and caught.value.retry_after > 60
    assert emulator.requests["youtube.liveBroadcasts.insert"] == 1


def test_quota_reset_is_midnight_pacific() -> None:
    # 07:00 UTC on 2 Jan 2030 is 23:00 on 1 Jan in Los Angeles: one hour to go
    assert seconds_until_quota_reset(datetime(2030, 1, 2, 7, 0, tzinfo=UTC)) == 3600


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (403, "quotaExceeded", QuotaExceeded),
        (403, "rateLimitExceeded", RateLimited),
        (403, "userRequestsExceedRateLimit", RateLimited),
        (429, "rateLimitExceeded", RateLimited),
        (401, "authError", AuthExpired),
        (404, "liveBroadcastNotFound", None),
        (403, "invalidTransition", None),
    ],
)
def test_parse_error_maps_google_reasons(status: int, reason: str, kind: type | None) -> None:
    body = {
        "error": {
            "code": status,
            "message": "Something <b>went</b> wrong",
            "errors": [{"message": "x", "domain": "youtube.x", "reason": reason}],
        }
    }
    info = YouTube.parse_error(_response(status, body))
    assert info.kind is kind
    assert info.code == reason
    assert info.message == "Something went wrong"


def test_parse_error_other_shapes() -> None:
    oauth = YouTube.parse_error(
        _response(400, {"error": "invalid_grant", "error_description": "Token has been revoked."})
    )
    assert (oauth.message, oauth.code, oauth.kind) == (
        "Token has been revoked.",
        "invalid_grant",
        AuthExpired,
    )
    html = YouTube.parse_error(_response(502, "<html>Bad Gateway</html>"))
    assert html.kind is None and html.message.startswith("HTTP 502")
    unauthorized = YouTube.parse_error(_response(401, "nope"))
    assert unauthorized.kind is AuthExpired


def test_clean_text() -> None:
    assert clean_text("  a <b> c  ", 100) == "a ‹b› c"
    assert clean_text("x" * 10, 5) == "xxxx…"


async def test_provider_fills_in_google_error_parsing(
    config: PlatformConfig, credentials: Credentials, emulator: YouTubeEmulator
) -> None:
    http = PlatformHttp(
        "youtube", config.endpoints.api_url, token=StoredToken("youtube", credentials)
    )
    try:
        provider = YouTube(config, http)
        assert http.parse_error == provider.parse_error
        emulator.set_quota_used(emulator.daily_quota)
        with pytest.raises(QuotaExceeded):
            await provider.create_broadcast(REQUEST)
    finally:
        await http.aclose()


def test_quota_table_covers_every_call() -> None:
    assert set(QUOTA_COSTS) == {
        "youtube.liveBroadcasts.insert",
        "youtube.liveBroadcasts.list",
        "youtube.liveBroadcasts.update",
        "youtube.liveBroadcasts.bind",
        "youtube.liveBroadcasts.transition",
        "youtube.liveBroadcasts.delete",
        "youtube.liveStreams.insert",
        "youtube.liveStreams.list",
        "youtube.videos.list",
        "youtube.videos.update",
        "youtube.thumbnails.set",
        "youtube.liveChatMessages.delete",
        "youtube.liveChatBans.insert",
        "youtube.liveChatBans.delete",
    }
