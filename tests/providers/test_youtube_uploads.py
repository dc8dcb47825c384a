"""The emulator's videos.update and thumbnails.set refuse what YouTube refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from providers.base import BroadcastRequest
from providers.sandbox.youtube import ASSIGNABLE_CATEGORIES, THUMBNAIL_MAX_BYTES, YouTubeEmulator
from providers.youtube import upload_base
from tests.providers.test_youtube_settings import JPEG_HEAD, png_bytes

if TYPE_CHECKING:
    from conftest import Wired

Bearer = Callable[..., dict[str, str]]


@pytest.fixture
async def video(youtube: Wired) -> str:
    handle = await youtube.provider.create_broadcast(BroadcastRequest("Target"))
    return handle.remote_id


async def thumbnail(
    raw: httpx.AsyncClient,
    headers: dict[str, str],
    video: str,
    data: bytes,
    media_type: str = "image/png",
    **params: str,
) -> httpx.Response:
    url = upload_base(str(raw.base_url)) + "/thumbnails/set"
    return await raw.post(
        url,
        params={"videoId": video, "uploadType": "media", **params},
        content=data,
        headers={**headers, "Content-Type": media_type},
    )


def reason(response: httpx.Response) -> tuple[int, str]:
    body: dict[str, Any] = response.json()
    return response.status_code, body["error"]["errors"][0]["reason"]


async def test_thumbnail_set_answers_the_thumbnail_set_response(
    raw: httpx.AsyncClient, bearer: Bearer, video: str, emulator: YouTubeEmulator
) -> None:
    response = await thumbnail(raw, bearer(), video, JPEG_HEAD, "application/octet-stream")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "youtube#thumbnailSetResponse"
    assert set(body["items"][0]) >= {"default", "medium", "high"}
    assert emulator.broadcasts[video].thumbnail == ("image/jpeg", JPEG_HEAD)


@pytest.mark.parametrize(
    ("data", "media_type", "expected"),
    [
        (b"", "image/png", (400, "mediaBodyRequired")),
        (b"plain text", "image/png", (400, "invalidImage")),
        (JPEG_HEAD, "image/png", (400, "invalidImage")),
        (b"GIF89a....", "image/gif", (400, "badContent")),
        (png_bytes() + b"\x00" * THUMBNAIL_MAX_BYTES, "image/png", (413, "uploadTooLarge")),
    ],
)
async def test_thumbnail_content_is_checked(
    raw: httpx.AsyncClient,
    bearer: Bearer,
    video: str,
    data: bytes,
    media_type: str,
    expected: tuple[int, str],
) -> None:
    assert reason(await thumbnail(raw, bearer(), video, data, media_type)) == expected


async def test_thumbnail_needs_an_existing_video_of_the_tokens_channel(
    raw: httpx.AsyncClient, bearer: Bearer, video: str
) -> None:
    assert reason(await thumbnail(raw, bearer(), "nosuchvideo", png_bytes())) == (404, "notFound")
    other = bearer(subject="UCsomeoneelse0000000000")
    assert reason(await thumbnail(raw, other, video, png_bytes())) == (403, "forbidden")
    readonly = bearer(scopes=("https://www.googleapis.com/auth/youtube.readonly",))
    assert reason(await thumbnail(raw, readonly, video, png_bytes())) == (
        403,
        "insufficientPermissions",
    )
    upload_only = bearer(scopes=("https://www.googleapis.com/auth/youtube.upload",))
    assert (await thumbnail(raw, upload_only, video, png_bytes())).status_code == 200


async def test_thumbnail_protocols_other_than_simple_media_are_refused(
    raw: httpx.AsyncClient, bearer: Bearer, video: str
) -> None:
    response = await thumbnail(raw, bearer(), video, png_bytes(), uploadType="multipart")
    assert reason(response) == (400, "invalidParameter")
    assert (
        await raw.post(f"{raw.base_url}thumbnails/set", params={"videoId": video})
    ).status_code == 404


def snippet(**fields: Any) -> dict[str, Any]:
    return {"title": "Target", "categoryId": "20", **fields}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"snippet": snippet()}, (400, "required")),  # no id
        ({"id": "nosuchvideo", "snippet": snippet()}, (404, "videoNotFound")),
        ({"id": "VIDEO", "snippet": snippet(title="")}, (400, "invalidTitle")),
        ({"id": "VIDEO", "snippet": {"categoryId": "20"}}, (400, "invalidTitle")),
        ({"id": "VIDEO", "snippet": snippet(title="<b>")}, (400, "invalidTitle")),
        ({"id": "VIDEO", "snippet": snippet(categoryId="18")}, (400, "invalidCategoryId")),
        ({"id": "VIDEO", "snippet": snippet(categoryId="999")}, (400, "invalidCategoryId")),
        ({"id": "VIDEO", "snippet": {"title": "Target"}}, (400, "invalidCategoryId")),
        ({"id": "VIDEO", "snippet": snippet(colour="red")}, (400, "invalid")),
    ],
)
async def test_video_update_refusals(
    raw: httpx.AsyncClient,
    bearer: Bearer,
    video: str,
    body: dict[str, Any],
    expected: tuple[int, str],
) -> None:
    if body.get("id") == "VIDEO":
        body = {**body, "id": video}
    response = await raw.put("videos", params={"part": "snippet"}, json=body, headers=bearer())
    assert reason(response) == expected


async def test_video_update_removes_what_it_leaves_out(
    raw: httpx.AsyncClient, bearer: Bearer, video: str, emulator: YouTubeEmulator
) -> None:
    body = {"id": video, "snippet": snippet(description="kept?", tags=["a"])}
    first = await raw.put("videos", params={"part": "snippet"}, json=body, headers=bearer())
    assert first.status_code == 200, first.text
    assert first.json()["snippet"]["categoryId"] == "20"
    again = {"id": video, "snippet": snippet(categoryId="24")}
    second = await raw.put("videos", params={"part": "snippet"}, json=again, headers=bearer())
    assert second.status_code == 200
    assert emulator.broadcasts[video].snippet["description"] == ""
    assert emulator.broadcasts[video].tags is None
    assert emulator.broadcasts[video].category == "24"
    other = bearer(subject="UCsomeoneelse0000000000")
    stranger = await raw.put("videos", params={"part": "snippet"}, json=again, headers=other)
    assert reason(stranger) == (404, "videoNotFound")
    status = await raw.put(
        "videos", params={"part": "snippet,status"}, json=again, headers=bearer()
    )
    assert reason(status) == (400, "invalidPart")


def test_the_category_table_is_small_and_numeric() -> None:
    assert all(key.isdigit() for key in ASSIGNABLE_CATEGORIES)
    assert {"20", "22", "27"} <= set(ASSIGNABLE_CATEGORIES)
