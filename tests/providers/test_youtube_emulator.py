"""The YouTube emulator's strictness, probed with raw HTTP the provider would never send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from providers.sandbox.youtube import YouTubeEmulator

Bearer = Callable[..., dict[str, str]]

BROADCAST = {
    "snippet": {"title": "Town hall", "scheduledStartTime": "2030-01-01T18:00:00Z"},
    "status": {"privacyStatus": "unlisted"},
}
STREAM = {
    "snippet": {"title": "Town hall"},
    "cdn": {"ingestionType": "rtmp", "resolution": "720p", "frameRate": "30fps"},
}


def google_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert Google's envelope and return its first ``errors`` item."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["status"], str)
    (item,) = error["errors"]
    assert set(item) >= {"message", "domain", "reason"}
    return item


async def make_pair(raw: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    broadcast = await raw.post(
        "liveBroadcasts", params={"part": "snippet,status"}, json=BROADCAST, headers=headers
    )
    stream = await raw.post(
        "liveStreams", params={"part": "snippet,cdn"}, json=STREAM, headers=headers
    )
    assert broadcast.status_code == 200 and stream.status_code == 200
    return broadcast.json()["id"], stream.json()["id"]


async def transition(
    raw: httpx.AsyncClient, headers: dict[str, str], broadcast_id: str, status: str
) -> httpx.Response:
    return await raw.post(
        "liveBroadcasts/transition",
        params={"part": "status", "id": broadcast_id, "broadcastStatus": status},
        headers=headers,
    )


async def test_missing_part_is_400(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    response = await raw.post("liveBroadcasts", json=BROADCAST, headers=bearer())
    item = google_error(response, 400)
    assert item["reason"] == "required"
    assert item["location"] == "part"
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert response.json()["error"]["message"] == "Required parameter: part"


async def test_unknown_part_rejected(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    response = await raw.get(
        "liveBroadcasts", params={"part": "id,cdn", "mine": "true"}, headers=bearer()
    )
    item = google_error(response, 400)
    assert item["reason"] == "unknownPart"
    assert item["domain"] == "youtube.part"
    # statistics is a list part, not an insert part
    response = await raw.post(
        "liveBroadcasts", params={"part": "statistics"}, json=BROADCAST, headers=bearer()
    )
    assert google_error(response, 400)["reason"] == "unknownPart"


async def test_unknown_query_parameter_rejected(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    response = await raw.get(
        "liveBroadcasts",
        params={"part": "id", "mine": "true", "bogus": "1"},
        headers=bearer(),
    )
    assert google_error(response, 400)["reason"] == "invalid"


async def test_missing_and_expired_bearer_answer_google_401(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    params = {"part": "id", "mine": "true"}
    missing = await raw.get("liveBroadcasts", params=params)
    item = google_error(missing, 401)
    assert item["reason"] == "required"
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")

    bogus = await raw.get("liveBroadcasts", params=params, headers={"Authorization": "Bearer x"})
    assert google_error(bogus, 401)["reason"] == "authError"

    headers = bearer()
    emulator.faults.expire_tokens = True
    assert google_error(await raw.get("liveBroadcasts", params=params, headers=headers), 401)
    emulator.faults.expire_tokens = False
    assert (await raw.get("liveBroadcasts", params=params, headers=headers)).status_code == 200


async def test_access_token_query_parameter_accepted(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    token = bearer()["Authorization"].split()[1]
    response = await raw.get(
        "liveBroadcasts", params={"part": "id", "mine": "true", "access_token": token}
    )
    assert response.status_code == 200


async def test_read_only_scope_cannot_write(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer(("https://www.googleapis.com/auth/youtube.readonly",))
    listed = await raw.get("liveBroadcasts", params={"part": "id", "mine": "true"}, headers=headers)
    assert listed.status_code == 200
    inserted = await raw.post(
        "liveBroadcasts", params={"part": "snippet,status"}, json=BROADCAST, headers=headers
    )
    assert google_error(inserted, 403)["reason"] == "insufficientPermissions"


@pytest.mark.parametrize(
    ("path", "body", "part", "reason"),
    [
        (
            "liveBroadcasts",
            {
                "snippet": {"scheduledStartTime": "2030-01-01T18:00:00Z"},
                "status": {"privacyStatus": "public"},
            },
            "snippet,status",
            "titleRequired",
        ),
        (
            "liveBroadcasts",
            {"snippet": {"title": "t"}, "status": {"privacyStatus": "public"}},
            "snippet,status",
            "scheduledStartTimeRequired",
        ),
        (
            "liveBroadcasts",
            {"snippet": {"title": "t", "scheduledStartTime": "2030-01-01T18:00:00Z"}},
            "snippet,status",
            "privacyStatusRequired",
        ),
        # the status part is not written unless named in part
        ("liveBroadcasts", BROADCAST, "snippet", "privacyStatusRequired"),
        (
            "liveBroadcasts",
            {**BROADCAST, "snippet": {"title": "t", "scheduledStartTime": "tomorrow"}},
            "snippet,status",
            "invalidScheduledStartTime",
        ),
        (
            "liveBroadcasts",
            {
                **BROADCAST,
                "snippet": {"title": "x" * 101, "scheduledStartTime": "2030-01-01T18:00:00Z"},
            },
            "snippet,status",
            "invalidTitle",
        ),
        (
            "liveBroadcasts",
            {**BROADCAST, "status": {"privacyStatus": "secret"}},
            "snippet,status",
            "invalid",
        ),
        ("liveBroadcasts", {**BROADCAST, "colour": "red"}, "snippet,status", "invalid"),
        (
            "liveBroadcasts",
            {**BROADCAST, "contentDetails": {"enableDvr": "yes"}},
            "snippet,status,contentDetails",
            "invalid",
        ),
        ("liveStreams", {"cdn": STREAM["cdn"]}, "snippet,cdn", "titleRequired"),
        (
            "liveStreams",
            {**STREAM, "cdn": {"ingestionType": "rtmp", "resolution": "720p"}},
            "snippet,cdn",
            "frameRateRequired",
        ),
        (
            "liveStreams",
            {**STREAM, "cdn": {"frameRate": "30fps", "resolution": "720p"}},
            "snippet,cdn",
            "ingestionTypeRequired",
        ),
        (
            "liveStreams",
            {**STREAM, "cdn": {"frameRate": "30fps", "ingestionType": "rtmp"}},
            "snippet,cdn",
            "resolutionRequired",
        ),
        (
            "liveStreams",
            {**STREAM, "cdn": {**STREAM["cdn"], "resolution": "4k"}},
            "snippet,cdn",
            "invalid",
        ),
    ],
)
async def test_required_and_valid_body_fields(
    raw: httpx.AsyncClient,
    emulator: YouTubeEmulator,
    bearer: Bearer,
    path: str,
    body: dict[str, Any],
    part: str,
    reason: str,
) -> None:
    response = await raw.post(path, params={"part": part}, json=body, headers=bearer())
    assert google_error(response, 400)["reason"] == reason


async def test_insert_returns_requested_parts(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    response = await raw.post(
        "liveBroadcasts", params={"part": "snippet,status"}, json=BROADCAST, headers=headers
    )
    body = response.json()
    assert body["kind"] == "youtube#liveBroadcast"
    assert set(body) == {"kind", "etag", "id", "snippet", "status"}
    assert body["status"]["lifeCycleStatus"] == "created"
    assert body["snippet"]["liveChatId"]
    assert body["snippet"]["channelId"] == emulator.channel_id
    assert len(body["id"]) == 11

    stream = await raw.post(
        "liveStreams", params={"part": "snippet,cdn,status"}, json=STREAM, headers=headers
    )
    info = stream.json()["cdn"]["ingestionInfo"]
    assert info["rtmpsIngestionAddress"].startswith("rtmps://")
    assert info["ingestionAddress"].startswith("rtmp://")
    assert stream.json()["status"]["streamStatus"] == "ready"


async def test_bind_unknown_ids_are_404(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    broadcast_id, stream_id = await make_pair(raw, headers)
    unknown_broadcast = await raw.post(
        "liveBroadcasts/bind",
        params={"part": "id", "id": "nope", "streamId": stream_id},
        headers=headers,
    )
    assert google_error(unknown_broadcast, 404)["reason"] == "liveBroadcastNotFound"
    unknown_stream = await raw.post(
        "liveBroadcasts/bind",
        params={"part": "id", "id": broadcast_id, "streamId": "nope"},
        headers=headers,
    )
    assert google_error(unknown_stream, 404)["reason"] == "liveStreamNotFound"
    missing_id = await raw.post("liveBroadcasts/bind", params={"part": "id"}, headers=headers)
    assert google_error(missing_id, 400)["reason"] == "required"


async def test_transition_before_active_rejected(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    emulator.auto_encoder = False
    headers = bearer()
    broadcast_id, stream_id = await make_pair(raw, headers)
    not_bound = await transition(raw, headers, broadcast_id, "live")
    assert google_error(not_bound, 403)["reason"] in ("errorStreamInactive", "invalidTransition")
    bound = await raw.post(
        "liveBroadcasts/bind",
        params={"part": "status,contentDetails", "id": broadcast_id, "streamId": stream_id},
        headers=headers,
    )
    assert bound.json()["status"]["lifeCycleStatus"] == "ready"
    assert bound.json()["contentDetails"]["boundStreamId"] == stream_id
    early = await transition(raw, headers, broadcast_id, "testing")
    assert google_error(early, 403)["reason"] == "errorStreamInactive"

    emulator.connect_encoder(stream_id)
    listed = await raw.get(
        "liveStreams", params={"part": "status", "id": stream_id}, headers=headers
    )
    assert listed.json()["items"][0]["status"]["streamStatus"] == "active"
    assert (await transition(raw, headers, broadcast_id, "testing")).status_code == 200


async def test_lifecycle_rules(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    broadcast_id, stream_id = await make_pair(raw, headers)
    await raw.post(
        "liveBroadcasts/bind",
        params={"part": "id", "id": broadcast_id, "streamId": stream_id},
        headers=headers,
    )
    early_complete = await transition(raw, headers, broadcast_id, "complete")
    assert google_error(early_complete, 403)["reason"] == "invalidTransition"
    # the monitor stream is on by default: testing comes first
    skip_testing = await transition(raw, headers, broadcast_id, "live")
    assert google_error(skip_testing, 403)["reason"] == "invalidTransition"
    assert (await transition(raw, headers, broadcast_id, "testing")).json()["status"][
        "lifeCycleStatus"
    ] == "testing"
    live = await transition(raw, headers, broadcast_id, "live")
    assert live.json()["status"]["lifeCycleStatus"] == "live"
    again = await transition(raw, headers, broadcast_id, "live")
    assert google_error(again, 403)["reason"] == "redundantTransition"
    back = await transition(raw, headers, broadcast_id, "testing")
    assert google_error(back, 403)["reason"] == "invalidTransition"
    rebind = await raw.post(
        "liveBroadcasts/bind",
        params={"part": "id", "id": broadcast_id, "streamId": stream_id},
        headers=headers,
    )
    assert google_error(rebind, 403)["reason"] == "liveBroadcastBindingNotAllowed"
    delete_live = await raw.delete("liveBroadcasts", params={"id": broadcast_id}, headers=headers)
    assert google_error(delete_live, 403)["reason"] == "liveBroadcastDeletionNotAllowed"
    done = await transition(raw, headers, broadcast_id, "complete")
    assert done.json()["status"]["lifeCycleStatus"] == "complete"
    assert (
        google_error(await transition(raw, headers, broadcast_id, "live"), 403)["reason"]
        == "invalidTransition"
    )
    deleted = await raw.delete("liveBroadcasts", params={"id": broadcast_id}, headers=headers)
    assert deleted.status_code == 204 and deleted.content == b""


async def test_transition_status_values(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    broadcast_id, _ = await make_pair(raw, headers)
    for value in ("started", "statusUnspecified", ""):
        response = await transition(raw, headers, broadcast_id, value)
        assert google_error(response, 400)["reason"] in ("invalidParameter", "required")


async def test_list_filters_and_paging(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    for _ in range(3):
        await make_pair(raw, headers)
    none = await raw.get("liveBroadcasts", params={"part": "id"}, headers=headers)
    assert google_error(none, 400)["reason"] == "missingRequiredParameter"
    two = await raw.get(
        "liveBroadcasts",
        params={"part": "id", "mine": "true", "broadcastStatus": "all"},
        headers=headers,
    )
    assert google_error(two, 400)["reason"] == "incompatibleParameters"
    too_many = await raw.get(
        "liveBroadcasts", params={"part": "id", "mine": "true", "maxResults": "51"}, headers=headers
    )
    assert google_error(too_many, 400)["reason"] == "invalidParameter"
    first = await raw.get(
        "liveBroadcasts", params={"part": "id", "mine": "true", "maxResults": "2"}, headers=headers
    )
    page = first.json()
    assert page["pageInfo"] == {"totalResults": 3, "resultsPerPage": 2}
    assert len(page["items"]) == 2
    second = await raw.get(
        "liveBroadcasts",
        params={
            "part": "id",
            "mine": "true",
            "maxResults": "2",
            "pageToken": page["nextPageToken"],
        },
        headers=headers,
    )
    assert len(second.json()["items"]) == 1
    upcoming = await raw.get(
        "liveBroadcasts", params={"part": "status", "broadcastStatus": "upcoming"}, headers=headers
    )
    assert len(upcoming.json()["items"]) == 3
    active = await raw.get(
        "liveBroadcasts", params={"part": "status", "broadcastStatus": "active"}, headers=headers
    )
    assert active.json()["items"] == []


async def test_other_channels_resources_are_not_found(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    broadcast_id, _ = await make_pair(raw, bearer())
    stranger = emulator.oauth.issue_tokens(
        emulator.client_id, ("https://www.googleapis.com/auth/youtube",), subject="UCstranger"
    )["access_token"]
    headers = {"Authorization": f"Bearer {stranger}"}
    response = await raw.delete("liveBroadcasts", params={"id": broadcast_id}, headers=headers)
    assert google_error(response, 404)["reason"] == "liveBroadcastNotFound"


async def test_quota_accounting_and_exhaustion(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    await make_pair(raw, headers)  # 50 + 50
    assert emulator.quota_used() == 100
    await raw.get("liveBroadcasts", params={"part": "id", "mine": "true"}, headers=headers)
    assert emulator.quota_used() == 101
    await raw.get("liveBroadcasts", params={"mine": "true"}, headers=headers)  # rejected: 1 unit
    assert emulator.quota_used() == 102
    await raw.get("liveBroadcasts", params={"part": "id", "mine": "true"})  # unauthenticated: free
    assert emulator.quota_used() == 102

    emulator.set_quota_used(emulator.daily_quota - 10)
    spent = await raw.post(
        "liveBroadcasts", params={"part": "snippet,status"}, json=BROADCAST, headers=headers
    )
    item = google_error(spent, 403)
    assert item["reason"] == "quotaExceeded"
    assert item["domain"] == "youtube.quota"
    # a one-unit read still fits
    assert (
        await raw.get("videos", params={"part": "id", "id": "x"}, headers=headers)
    ).status_code == 200
    assert emulator.quota_used("another-project") == 0


async def test_faults_render_in_google_shapes(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    params = {"part": "id", "mine": "true"}
    emulator.faults.rate_limit_next = 1
    limited = await raw.get("liveBroadcasts", params=params, headers=headers)
    assert google_error(limited, 429)["reason"] == "rateLimitExceeded"
    assert limited.headers["Retry-After"] == "1"
    emulator.faults.fail_next = 1
    failed = await raw.get("liveBroadcasts", params=params, headers=headers)
    assert google_error(failed, 500)["reason"] == "backendError"
    assert (await raw.get("liveBroadcasts", params=params, headers=headers)).status_code == 200


async def test_videos_list_live_streaming_details(
    raw: httpx.AsyncClient, emulator: YouTubeEmulator, bearer: Bearer
) -> None:
    headers = bearer()
    broadcast_id, stream_id = await make_pair(raw, headers)
    details = await raw.get(
        "videos", params={"part": "liveStreamingDetails", "id": broadcast_id}, headers=headers
    )
    before = details.json()["items"][0]["liveStreamingDetails"]
    assert "concurrentViewers" not in before
    assert before["activeLiveChatId"]
    emulator.broadcasts[broadcast_id].content_details["monitorStream"]["enableMonitorStream"] = (
        False
    )
    await raw.post(
        "liveBroadcasts/bind",
        params={"part": "id", "id": broadcast_id, "streamId": stream_id},
        headers=headers,
    )
    await transition(raw, headers, broadcast_id, "live")
    emulator.set_viewers(broadcast_id, 17)
    live = await raw.get(
        "videos",
        params={"part": "liveStreamingDetails,snippet", "id": broadcast_id},
        headers=headers,
    )
    item = live.json()["items"][0]
    assert item["liveStreamingDetails"]["concurrentViewers"] == "17"
    assert item["snippet"]["liveBroadcastContent"] == "live"
    unknown_part = await raw.get(
        "videos", params={"part": "cdn", "id": broadcast_id}, headers=headers
    )
    assert google_error(unknown_part, 400)["reason"] == "unknownPart"
