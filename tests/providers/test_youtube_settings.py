"""Per-broadcast YouTube settings: validated before any request, then sent to YouTube."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from providers.base import BroadcastRequest
from providers.errors import InvalidRequest
from providers.sandbox.youtube import YouTubeEmulator
from providers.youtube import YouTube

if TYPE_CHECKING:
    from conftest import Wired


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


@pytest.mark.parametrize(
    "settings",
    [{"privacy": "secret"}, {"dvr": "yes"}, {"latency": "fast"}, {"colour": "red"}],
)
async def test_bad_settings_are_refused_before_any_request(
    youtube: Wired, emulator: YouTubeEmulator, settings: dict[str, str]
) -> None:
    with pytest.raises(InvalidRequest):
        YouTube.check_settings(settings)
    with pytest.raises(InvalidRequest):
        await youtube.provider.create_broadcast(BroadcastRequest("Bad", settings=settings))
    assert sum(emulator.requests.values()) == 0
