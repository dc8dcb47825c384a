"""Per-broadcast YouTube settings: validated before any request, then sent to YouTube."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from providers.base import BroadcastRequest
from providers.errors import InvalidRequest
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import QUOTA_COSTS, YouTube, upload_base

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from conftest import Wired

    from providers.base import Credentials


def png_bytes() -> bytes:
    """A valid 1x1 PNG, made here so no binary file lives in the repository."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "cover.png"
    path.write_bytes(png_bytes())
    return path


async def test_each_setting_reaches_youtube(youtube: Wired, emulator: YouTubeEmulator) -> None:
    settings = {
        "privacy": "unlisted",
        "made_for_kids": "true",
        "latency": "ultraLow",
        "dvr": "false",
    }
    handle = await youtube.provider.create_broadcast(BroadcastRequest("Set", settings=settings))
    broadcast = emulator.broadcasts[handle.remote_id]
    assert broadcast.status["privacyStatus"] == "unlisted"
    assert broadcast.status["selfDeclaredMadeForKids"] is True
    assert broadcast.content_details["latencyPreference"] == "ultraLow"
    assert broadcast.content_details["enableDvr"] is False


async def test_category_reaches_the_video_and_keeps_title_and_description(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    request = BroadcastRequest("Speedrun", description="Any% tonight", settings={"category": "20"})
    handle = await youtube.provider.create_broadcast(request)
    broadcast = emulator.broadcasts[handle.remote_id]
    assert broadcast.category == "20"
    assert broadcast.snippet["title"] == "Speedrun"
    assert broadcast.snippet["description"] == "Any% tonight"
    assert emulator.requests["youtube.videos.update"] == 1
    assert handle.data["category"] == "20"


async def test_thumbnail_reaches_the_video(
    youtube: Wired, emulator: YouTubeEmulator, png: Path
) -> None:
    request = BroadcastRequest("Pictured", settings={"thumbnail": str(png)})
    handle = await youtube.provider.create_broadcast(request)
    broadcast = emulator.broadcasts[handle.remote_id]
    assert broadcast.thumbnail == ("image/png", png_bytes())
    assert "maxres" in broadcast.snippet["thumbnails"]


async def test_jpeg_thumbnail_is_sent_as_jpeg(
    youtube: Wired, emulator: YouTubeEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "cover.bin"  # the name says nothing; the first bytes do
    data = JPEG_HEAD + b"\x00" * 64
    path.write_bytes(data)
    handle = await youtube.provider.create_broadcast(
        BroadcastRequest("Jpeg", settings={"thumbnail": str(path)})
    )
    assert emulator.broadcasts[handle.remote_id].thumbnail == ("image/jpeg", data)


async def test_deployment_default_category(
    wire: Callable[..., Awaitable[Wired]], credentials: Credentials, emulator: YouTubeEmulator
) -> None:
    wired = await wire(credentials, category="27")
    handle = await wired.provider.create_broadcast(BroadcastRequest("Lecture"))
    assert emulator.broadcasts[handle.remote_id].category == "27"
    own = await wired.provider.create_broadcast(
        BroadcastRequest("Concert", settings={"category": "10"})
    )
    assert emulator.broadcasts[own.remote_id].category == "10"
    assert "category" in YouTube.option_names


async def test_quota_for_a_create_with_category_and_thumbnail(
    youtube: Wired, emulator: YouTubeEmulator, png: Path
) -> None:
    request = BroadcastRequest("Counted", settings={"category": "28", "thumbnail": str(png)})
    handle = await youtube.provider.create_broadcast(request)
    expected = sum(
        QUOTA_COSTS[m]
        for m in (
            "youtube.liveBroadcasts.insert",
            "youtube.liveStreams.insert",
            "youtube.liveBroadcasts.bind",
            "youtube.videos.update",
            "youtube.thumbnails.set",
        )
    )
    assert expected == 250
    assert handle.quota_used == expected
    assert emulator.quota_used() == expected
    assert youtube.provider.quota_spent == expected


async def test_a_category_youtube_refuses_leaves_nothing_behind(
    youtube: Wired, emulator: YouTubeEmulator
) -> None:
    # 18 (Short Movies) is a real category id, but not one a video may be assigned
    with pytest.raises(InvalidRequest) as caught:
        await youtube.provider.create_broadcast(
            BroadcastRequest("Nope", settings={"category": "18"})
        )
    assert caught.value.code == "invalidCategoryId"
    assert emulator.broadcasts == {}


def test_upload_base_sits_beside_the_api_base() -> None:
    assert (
        upload_base("https://www.googleapis.com/youtube/v3")
        == "https://www.googleapis.com/upload/youtube/v3"
    )
    assert (
        upload_base("http://127.0.0.1:8080/prefix/youtube/v3/")
        == "http://127.0.0.1:8080/prefix/upload/youtube/v3"
    )
    assert upload_base("https://proxy.example/api") == "https://proxy.example/upload/youtube/v3"


def bad_thumbnails(tmp_path: Path) -> dict[str, Path]:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes() + b"\x00" * (2 * 1024 * 1024))
    gif = tmp_path / "cover.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 32)
    return {
        "missing": tmp_path / "absent.png",
        "text": text,
        "big": big,
        "gif": gif,
        "dir": tmp_path,
    }


@pytest.mark.parametrize(
    "settings",
    [
        {"privacy": "secret"},
        {"dvr": "yes"},
        {"latency": "fast"},
        {"colour": "red"},
        {"category": "gaming"},
        {"category": "20a"},
        {"category": ""},
        {"thumbnail": "missing"},
        {"thumbnail": "text"},
        {"thumbnail": "big"},
        {"thumbnail": "gif"},
        {"thumbnail": "dir"},
        {"category": "20", "thumbnail": "text"},
    ],
)
async def test_bad_settings_are_refused_before_any_request(
    youtube: Wired, emulator: YouTubeEmulator, settings: dict[str, str], tmp_path: Path
) -> None:
    files = bad_thumbnails(tmp_path)
    if "thumbnail" in settings:
        settings = {**settings, "thumbnail": str(files[settings["thumbnail"]])}
    with pytest.raises(InvalidRequest):
        YouTube.check_settings(settings)
    with pytest.raises(InvalidRequest):
        await youtube.provider.create_broadcast(BroadcastRequest("Bad", settings=settings))
    assert sum(emulator.requests.values()) == 0
