"""Recordings after the end: looked up with backoff until the emulators finish processing,
stored, announced, followed by the tracked link and the watch page, and never a secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.handlers import Requester, run
from bot.services.context import Services
from providers.errors import InvalidRequest
from providers.recordings import NoRecording
from providers.zoom import meeting_path_id
from storage.models import Meeting, RecordingLink
from tests.core.test_announcements import FakePublisher
from tests.scheduling.conftest import eventually

WHO = Requester("w", "U1", chat="slack", channel="C1")


async def ended_broadcast(services: Services, record: bool = True) -> str:
    flag = " record" if record else ""
    created = await run(services, WHO, "golive", f'"Launch" on youtube{flag}')
    assert created.ok, created.private
    stream_id = (await services.livestreams.list("w", limit=1))[0].id
    assert (await run(services, WHO, "golive", f"start {stream_id}")).ok
    stopped = await run(services, WHO, "golive", f"stop {stream_id}")
    assert stopped.ok, stopped.private
    return stream_id


def planned(services: Services, kind: str, item_id: str) -> list[str]:
    return [job for job, _ in services.scheduler.planned("recordings", f"{kind}:{item_id}")]


async def test_youtube_recording_is_found_once_processed_and_announced(services: Services):
    slack = FakePublisher("slack")
    services.announcements.register(slack)
    youtube = services.sandbox.emulators["youtube"]
    youtube.processing_delay = 3600  # processing takes an hour in the emulator
    stream_id = await ended_broadcast(services)
    # the end planned the first lookup
    assert planned(services, "broadcast", stream_id) == [f"recordings:broadcast:{stream_id}:lookup"]
    first = await services.recordings.lookup("broadcast", "w", stream_id, 0)
    assert first.pending == ("youtube",) and not first.found
    assert first.next_at is not None  # asked again later, with a longer gap
    gap = first.next_at - datetime.now(UTC)
    assert timedelta(seconds=100) < gap <= timedelta(seconds=services.recordings.delays[1])
    assert await services.recordings.links("broadcast", stream_id) == []
    video_id = next(iter(youtube.broadcasts))
    youtube.finish_processing(video_id)
    second = await services.recordings.lookup("broadcast", "w", stream_id, 1)
    url = f"https://www.youtube.com/watch?v={video_id}"
    assert second.found == {"youtube": [url]} and second.next_at is None
    [link] = await services.recordings.links("broadcast", stream_id)
    assert (link.url, link.kind, link.passcode_required) == (url, "video", False)
    # every copy of the announcement now lists the recording (through the tracked link)
    *_, (channel, _, post) = slack.updates
    assert channel == "C1"
    [note] = [n for n in post.notes if n.startswith("Recording on YouTube: ")]
    tracked = note.removeprefix("Recording on YouTube: ")
    assert tracked.startswith(services.links.base + "/go/")
    link_id = tracked.rsplit("/", 1)[1]
    assert (await services.links.follow(link_id, "slack")).redirect == url
    # the watch page offers the recording
    stream = await services.livestreams.get("w", stream_id)
    page = await services.links.watch((await services.links.ensure(stream)).slug)
    assert page is not None and page.phase == "ended"
    [button] = page.buttons
    assert button.enabled and button.state == "recording"
    # a later lookup asks nothing more and adds nothing
    before = youtube.requests["youtube.videos.list"]
    again = await services.recordings.lookup("broadcast", "w", stream_id, 2)
    assert not again.found and not again.pending
    assert youtube.requests["youtube.videos.list"] == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_broadcast_without_record_plans_no_lookup_and_has_none(services: Services):
    stream_id = await ended_broadcast(services, record=False)
    assert planned(services, "broadcast", stream_id) == []
    provider = await services.connections.provider("w", "youtube", actor="t", operation="t")
    stream = await services.livestreams.get("w", stream_id)
    from providers.base import BroadcastHandle, BroadcastState

    row = stream.platforms[0]
    handle = BroadcastHandle(row.remote_id, BroadcastState.ENDED, data=dict(row.data))
    outcome = await provider.find_recordings(handle)
    assert isinstance(outcome, NoRecording) and "off" in outcome.reason


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_lookups_give_up_after_the_last_delay(services: Services):
    services.sandbox.emulators["youtube"].processing_delay = 10_000
    stream_id = await ended_broadcast(services)
    last = len(services.recordings.delays) - 1
    result = await services.recordings.lookup("broadcast", "w", stream_id, last)
    assert result.pending == ("youtube",) and result.next_at is None
    stream = await services.livestreams.get("w", stream_id)
    assert stream.platforms[0].data["recording"] == "none"
    assert "two hours" in stream.platforms[0].data["recording_note"]


async def zoom_meeting(services: Services) -> Meeting:
    created = await run(services, WHO, "meet", '"Sync" on zoom for 30m record')
    assert created.ok, created.private
    return (await services.meetings.list("w", limit=1))[0]


async def test_zoom_cloud_recording_after_processing_without_secrets(services: Services):
    zoom = services.sandbox.emulators["zoom"]
    zoom.recording_delay = 1800
    meeting = await zoom_meeting(services)
    assert planned(services, "meeting", meeting.id) == [f"recordings:meeting:{meeting.id}:lookup"]
    [(_, due)] = services.scheduler.planned("recordings", f"meeting:{meeting.id}")
    end = meeting.created_at + timedelta(minutes=30)
    assert end < due <= end + timedelta(seconds=services.recordings.delays[0] + 5)
    remote = next(iter(zoom.meetings.values()))
    # before the host ends it Zoom answers 3301: still waiting
    waiting = await services.recordings.lookup("meeting", "w", meeting.id, 0)
    assert waiting.pending == ("zoom",)
    zoom.end_meeting(remote.id)
    assert (await services.recordings.lookup("meeting", "w", meeting.id, 1)).pending == ("zoom",)
    zoom.finish_recording(remote.id)
    found = await services.recordings.lookup("meeting", "w", meeting.id, 2)
    [url] = found.found["zoom"]
    assert url.startswith("https://us05web.zoom.us/rec/share/")
    [link] = await services.recordings.links("meeting", meeting.id)
    assert link.kind == "share" and link.passcode_required
    # neither the passcode nor a download link is stored anywhere
    async with services.db.sessions() as session:
        dump = " ".join(
            str(r) for r in (await session.execute(text("SELECT * FROM recording_links"))).all()
        )
        dump += " ".join(
            str(r) for r in (await session.execute(text("SELECT * FROM meeting_platforms"))).all()
        )
    assert remote.recording_passcode not in dump and "/rec/download/" not in dump
    home = await services.recordings.recent("w")
    assert [(r.url, title) for r, title in home] == [(url, "Sync")]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_cancelling_a_meeting_drops_its_lookup(services: Services):
    meeting = await zoom_meeting(services)
    assert planned(services, "meeting", meeting.id)
    assert (await run(services, WHO, "meet", f"cancel {meeting.id}")).ok
    assert planned(services, "meeting", meeting.id) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_zoom_without_the_recording_scope_is_refused_as_zoom_does(services: Services):
    zoom = services.sandbox.emulators["zoom"]
    zoom.app_scopes = tuple(s for s in zoom.app_scopes if not s.startswith("cloud_recording"))
    meeting = await zoom_meeting(services)
    remote = next(iter(zoom.meetings.values()))
    zoom.end_meeting(remote.id)
    provider = await services.connections.provider("w", "zoom", actor="t", operation="t")
    from providers.base import MeetingHandle

    row = meeting.platforms[0]
    handle = MeetingHandle(row.remote_id or "", row.join_url or "", data=dict(row.data))
    with pytest.raises(InvalidRequest) as refused:
        await provider.find_meeting_recordings(handle)
    assert refused.value.code == "4711"
    assert "cloud_recording:read:list_recording_files" in refused.value.message
    # golive keeps asking (an admin may fix the app's scopes) instead of giving up
    result = await services.recordings.lookup("meeting", "w", meeting.id, 0)
    assert result.pending == ("zoom",)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_zoom_uuids_with_slashes_must_be_encoded_twice(services: Services):
    zoom = services.sandbox.emulators["zoom"]
    meeting = await zoom_meeting(services)
    remote = next(iter(zoom.meetings.values()))
    remote.uuid = "/ajXp112QmuoKj4854875=="
    zoom.end_meeting(remote.id)
    assert meeting_path_id(remote.uuid) == "%252FajXp112QmuoKj4854875%253D%253D"
    assert meeting_path_id("abc+d==") == "abc%2Bd%3D%3D"
    row = meeting.platforms[0]
    async with services.db.transaction() as session:
        stored = await session.get(Meeting, meeting.id)
        assert stored is not None
        stored.platforms[0].data = {**row.data, "uuid": remote.uuid}
    found = await services.recordings.lookup("meeting", "w", meeting.id, 0)
    assert "zoom" in found.found
    # encoded once, Zoom cannot find it
    provider = await services.connections.provider("w", "zoom", actor="t", operation="t")
    with pytest.raises(InvalidRequest) as missing:
        await provider.http.request("GET", "meetings/%2FajXp112QmuoKj4854875%3D%3D/recordings")
    assert missing.value.code == "3301"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_stored_job_runs_the_lookup_in_the_scheduler(services: Services):
    services.scheduler.lock_retry = 0.1
    services.recordings.delays = (0.3, 0.3, 0.3)
    await services.scheduler.start()
    stream_id = await ended_broadcast(services)

    async def found() -> bool:
        async with services.db.sessions() as session:
            rows = await session.execute(
                select(RecordingLink).where(RecordingLink.item_id == stream_id)
            )
            return bool(rows.scalars().all())

    await eventually(found)
