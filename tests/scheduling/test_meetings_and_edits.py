"""Scheduled meetings get reminders; edit-at moves every platform, the jobs and the
announcement; cancel removes them everywhere (emulators over real HTTP, short real delays)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.commands import CreateMeeting
from bot.handlers import Requester, meeting_post, run
from bot.services.context import Services
from tests.scheduling.conftest import eventually

WHO = Requester("w", "U1", chat="slack", channel="C1")


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def test_a_meeting_at_t_gets_its_reminders_at_the_offsets(scheduled: Services) -> None:
    slack = scheduled.announcements.publishers["slack"]
    await scheduled.scheduler.start()
    start = datetime.now(UTC) + timedelta(seconds=2.6)
    cmd = CreateMeeting(title="Sync", platforms=("jitsi",), primary="jitsi", start=start)
    meeting = await scheduled.meetings.create("w", "U1", cmd, "UTC")
    await scheduled.announcements.publish(
        "w", await meeting_post(scheduled, meeting, "UTC"), also=[("slack", "C1")]
    )
    kept = scheduled.scheduler.plan_meeting("w", meeting.id, start)
    assert len(kept) == 2
    assert [job for job, _ in scheduled.scheduler.planned("meeting", meeting.id)] == [
        f"meeting:{meeting.id}:remind:2",
        f"meeting:{meeting.id}:remind:1",
    ]
    await eventually(lambda: len(slack.posts) == 3)
    reminders = [a for _, a in slack.posts[1:]]
    assert [a.notes[0] for a in reminders] == ["Reminder: starts in 2 s", "Reminder: starts in 1 s"]
    assert all(a.kind == "meeting" and a.title == "Reminder · Sync" for a in reminders)
    assert all(a.links and a.links[0].url for a in reminders)
    assert all(a.remindable for a in reminders)  # each carries "Remind me"
    assert scheduled.scheduler.planned("meeting", meeting.id) == []


async def test_meet_edit_moves_zoom_and_teams_and_the_reminders(scheduled: Services) -> None:
    first = minute(datetime.now(UTC) + timedelta(days=2))
    later = first + timedelta(days=1, hours=2)
    created = await run(scheduled, WHO, "meet", f'"Sync" on zoom,teams at {at(first)} for 30m')
    assert created.ok, created.private
    assert any("Reminders of meeting" in line for line in created.private)
    meeting = (await scheduled.meetings.list("w"))[0]
    zoom = scheduled.sandbox.emulators["zoom"]
    graph = scheduled.sandbox.emulators["teams"]
    (on_zoom,) = zoom.meetings.values()
    assert on_zoom.type == 2 and on_zoom.duration == 30
    assert on_zoom.start_time == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    (on_teams,) = graph.meetings.values()
    assert on_teams.start == first and on_teams.end == first + timedelta(minutes=30)
    planned = scheduled.scheduler.planned("meeting", meeting.id)
    assert [when for _, when in planned] == [
        first - timedelta(hours=0, seconds=2),
        first - timedelta(seconds=1),
    ]

    edited = await run(scheduled, WHO, "meet", f"edit {meeting.id} at {at(later)}")
    assert edited.ok, edited.private
    assert on_zoom.start_time == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert graph.meetings[on_teams.id].start == later
    assert graph.meetings[on_teams.id].end == later + timedelta(minutes=30)
    planned = scheduled.scheduler.planned("meeting", meeting.id)
    assert [when for _, when in planned] == [
        later - timedelta(seconds=2),
        later - timedelta(seconds=1),
    ]
    slack = scheduled.announcements.publishers["slack"]
    assert slack.updates and later.strftime("%d %b %Y %H:%M") in slack.updates[-1][2].when

    cancelled = await run(scheduled, WHO, "meet", f"cancel {meeting.id}")
    assert cancelled.ok, cancelled.private
    assert scheduled.scheduler.planned("meeting", meeting.id) == []
    assert zoom.meetings == {} and graph.meetings == {}


async def test_golive_edit_moves_youtube_and_facebook_then_cancel_removes_them(
    scheduled: Services,
) -> None:
    for platform in ("youtube", "facebook"):
        await scheduled.connections.connect_in_sandbox("w", "U1", platform)
    first = minute(datetime.now(UTC) + timedelta(days=2))
    later = first + timedelta(days=1, minutes=30)
    created = await run(scheduled, WHO, "golive", f'"Launch" on youtube,facebook at {at(first)}')
    assert created.ok, created.private
    stream = (await scheduled.livestreams.list("w"))[0]
    youtube = scheduled.sandbox.emulators["youtube"]
    facebook = scheduled.sandbox.emulators["facebook"]
    (broadcast,) = youtube.broadcasts.values()
    assert broadcast.snippet["scheduledStartTime"] == first.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    (video,) = facebook.videos.values()
    assert video.status == "SCHEDULED_UNPUBLISHED"
    assert video.planned_start_time == int(first.timestamp())

    edited = await run(scheduled, WHO, "golive", f"edit {stream.id} at {at(later)}")
    assert edited.ok, edited.private
    assert broadcast.snippet["scheduledStartTime"] == later.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert broadcast.snippet["title"] == "Launch"  # the snippet's values were all sent again
    assert video.planned_start_time == int(later.timestamp())
    planned = scheduled.scheduler.planned("broadcast", stream.id)
    assert planned[-1] == (f"broadcast:{stream.id}:start", later)
    slack = scheduled.announcements.publishers["slack"]
    assert later.strftime("%d %b %Y %H:%M") in slack.updates[-1][2].when
    stored = await scheduled.livestreams.get("w", stream.id)
    assert all(not (p.data or {}).get("note") for p in stored.platforms)

    cancelled = await run(scheduled, WHO, "golive", f"cancel {stream.id}")
    assert cancelled.ok, cancelled.private
    assert scheduled.scheduler.planned("broadcast", stream.id) == []
    assert youtube.broadcasts == {} and facebook.videos == {}
    assert slack.updates[-1][2].status == "cancelled"


async def test_facebook_refuses_a_planned_start_more_than_seven_days_out(
    scheduled: Services,
) -> None:
    await scheduled.connections.connect_in_sandbox("w", "U1", "facebook")
    first = minute(datetime.now(UTC) + timedelta(days=2))
    created = await run(scheduled, WHO, "golive", f'"Launch" on facebook at {at(first)}')
    assert created.ok, created.private
    stream = (await scheduled.livestreams.list("w"))[0]
    far = first + timedelta(days=9)
    edited = await run(scheduled, WHO, "golive", f"edit {stream.id} at {at(far)}")
    assert any("Facebook" in line and "7 days" in line for line in edited.private)
    (video,) = scheduled.sandbox.emulators["facebook"].videos.values()
    assert video.planned_start_time == int(first.timestamp())  # unchanged there
