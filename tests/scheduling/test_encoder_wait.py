"""At a scheduled start golive waits for the encoder where the platform needs its stream
(YouTube: liveStreams streamStatus), starts as soon as it is active, and says so clearly when
it never comes; platforms that need no check start at T (short real delays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.commands import CreateBroadcast
from bot.handlers import broadcast_post
from bot.services.context import Services
from tests.scheduling.conftest import eventually

TRANSITION = ("POST", "/youtube/v3/liveBroadcasts/transition")


async def _scheduled(services: Services, platforms: tuple[str, ...], start: datetime) -> str:
    for platform in platforms:
        await services.connections.connect_in_sandbox("w", "U1", platform)
    cmd = CreateBroadcast(
        title="Launch", platforms=platforms, primary=platforms[0], start=start, record=False
    )
    stream = await services.livestreams.create("w", "U1", cmd)
    await services.announcements.publish(
        "w", await broadcast_post(services, stream, "UTC"), also=[("slack", "C1")]
    )
    services.scheduler.plan_broadcast("w", stream.id, start)
    return stream.id


def _titles(services: Services) -> list[str]:
    return [a.title for _, a in services.announcements.publishers["slack"].posts]


async def test_the_start_waits_for_the_encoder_then_goes_live(scheduled: Services) -> None:
    scheduled.settings.encoder_wait = "20s"
    scheduled.settings.encoder_poll = "1s"
    youtube = scheduled.sandbox.emulators["youtube"]
    youtube.auto_encoder = False  # nothing streams until the test says so
    start = datetime.now(UTC) + timedelta(seconds=0.5)
    stream_id = await _scheduled(scheduled, ("youtube", "facebook"), start)
    await scheduled.scheduler.start()

    await eventually(lambda: "Waiting for the encoder · Launch" in _titles(scheduled))
    slack = scheduled.announcements.publishers["slack"]
    (waiting,) = [a for _, a in slack.posts if a.title.startswith("Waiting")]
    assert waiting.notes[0].startswith("Waiting for the encoder: YouTube has no incoming stream")
    assert "keeps checking for 20 s" in waiting.notes[0]
    stream = await scheduled.livestreams.get("w", stream_id)
    states = {row.platform: row.status for row in stream.platforms}
    assert states == {"youtube": "ready", "facebook": "live"}  # no check needed: live at T
    assert (
        scheduled.sandbox.requests["youtube"].count(TRANSITION) == 0
    )  # golive never asks while inactive

    row = next(r for r in stream.platforms if r.platform == "youtube")
    youtube.connect_encoder(row.data["stream_id"])
    await eventually(
        lambda: _live_on(scheduled, stream_id, "youtube"),
        within=10,
    )
    assert scheduled.sandbox.requests["youtube"].count(TRANSITION) >= 1
    assert _titles(scheduled).count("Waiting for the encoder · Launch") == 1  # said once
    assert not any(t.startswith("Not started") for t in _titles(scheduled))
    await eventually(lambda: scheduled.scheduler.planned("broadcast", stream_id) == [])


async def _live_on(services: Services, stream_id: str, platform: str) -> bool:
    stream = await services.livestreams.get("w", stream_id)
    return any(r.platform == platform and r.status == "live" for r in stream.platforms)


async def test_an_encoder_that_never_comes_gets_a_clear_failure(scheduled: Services) -> None:
    scheduled.settings.encoder_wait = "2s"
    scheduled.settings.encoder_poll = "1s"
    youtube = scheduled.sandbox.emulators["youtube"]
    youtube.auto_encoder = False
    start = datetime.now(UTC) + timedelta(seconds=0.5)
    stream_id = await _scheduled(scheduled, ("youtube",), start)
    await scheduled.scheduler.start()

    await eventually(lambda: "Not started · Launch" in _titles(scheduled), within=10)
    slack = scheduled.announcements.publishers["slack"]
    (failed,) = [a for _, a in slack.posts if a.title.startswith("Not started")]
    sentence = failed.notes[0]
    assert sentence.startswith("The encoder never connected: YouTube received no stream in 2 s")
    assert "stream key" in sentence and f"/golive start {stream_id}" in sentence
    assert scheduled.sandbox.requests["youtube"].count(TRANSITION) == 0
    stream = await scheduled.livestreams.get("w", stream_id)
    assert stream.status == "created" and stream.platforms[0].status == "ready"
    # the announcement itself says it too, after the start job is done
    await eventually(lambda: any(sentence in a.notes for _, _, a in slack.updates))


async def test_the_emulator_refuses_going_live_while_the_stream_is_inactive(
    scheduled: Services,
) -> None:
    """What the real API does (liveBroadcasts/transition: 403 errorStreamInactive)."""
    youtube = scheduled.sandbox.emulators["youtube"]
    youtube.auto_encoder = False
    stream_id = await _scheduled(scheduled, ("youtube",), datetime.now(UTC) + timedelta(days=1))
    stream = await scheduled.livestreams.get("w", stream_id)
    provider = await scheduled.connections.provider("w", "youtube", actor="U1", operation="t")
    from providers.base import BroadcastHandle, BroadcastState
    from providers.errors import InvalidRequest

    row = stream.platforms[0]
    handle = BroadcastHandle(row.remote_id, BroadcastState.READY, data=dict(row.data))
    assert await provider.encoder_active(handle) is False
    try:
        await provider._transition(handle, "live")
    except InvalidRequest as exc:
        assert exc.code == "errorStreamInactive" and exc.status == 403
    else:
        raise AssertionError("the emulator let an inactive stream go live")
    youtube.connect_encoder(row.data["stream_id"])
    assert await provider.encoder_active(handle) is True
