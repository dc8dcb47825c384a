"""A broadcast scheduled for T: reminders at the offsets, the start at T, late and missed runs,
and edit/cancel moving or removing its jobs (short real delays, one process)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.commands import CreateBroadcast
from bot.handlers import Requester, broadcast_post, run
from bot.services.context import Services
from storage.models import AuditEntry
from tests.scheduling.conftest import eventually

WHO = Requester("w", "U1", chat="slack", channel="C1")


async def _scheduled_broadcast(services: Services, start: datetime) -> str:
    """Create and announce a broadcast on the YouTube emulator, then plan it for ``start``."""
    await services.connections.connect_in_sandbox("w", "U1", "youtube")
    cmd = CreateBroadcast(
        title="Launch", platforms=("youtube",), primary="youtube", start=start, record=False
    )
    stream = await services.livestreams.create("w", "U1", cmd)
    await services.announcements.publish(
        "w", await broadcast_post(services, stream, "UTC"), also=[("slack", "C1")]
    )
    services.scheduler.plan_broadcast("w", stream.id, start)
    return stream.id


async def _starts(services: Services, stream_id: str) -> list[AuditEntry]:
    async with services.db.sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "broadcast scheduled start", AuditEntry.target == stream_id
            )
        )
        return list(rows.scalars())


async def test_reminders_at_the_offsets_then_the_start_at_t(scheduled: Services) -> None:
    slack = scheduled.announcements.publishers["slack"]
    await scheduled.scheduler.start()
    start = datetime.now(UTC) + timedelta(seconds=2.6)
    stream_id = await _scheduled_broadcast(scheduled, start)
    assert [job for job, _ in scheduled.scheduler.planned("broadcast", stream_id)] == [
        f"broadcast:{stream_id}:remind:2",
        f"broadcast:{stream_id}:remind:1",
        f"broadcast:{stream_id}:start",
    ]
    posted: list[datetime] = []
    seen = 1  # the announcement itself

    def reminders() -> int:
        nonlocal seen
        while len(slack.posts) > seen:
            posted.append(datetime.now(UTC))
            seen += 1
        return len(posted)

    await eventually(lambda: reminders() == 2)
    notes = [announcement.notes[0] for _, announcement in slack.posts[1:]]
    assert notes == ["Reminder: starts in 2 s", "Reminder: starts in 1 s"]
    assert all(a.title == "Reminder · Launch" and a.links for _, a in slack.posts[1:])
    assert [channel for channel, _ in slack.posts] == ["C1", "C1", "C1"]
    for at, offset in zip(posted, (2, 1), strict=True):
        assert -0.05 < offset - (start - at).total_seconds() < 1.0  # on time, give or take load

    await eventually(lambda: _starts(scheduled, stream_id))
    started = await _starts(scheduled, stream_id)
    assert len(started) == 1 and started[0].operation == "on time"
    assert start - timedelta(milliseconds=50) <= started[0].at < start + timedelta(seconds=1)
    assert (
        scheduled.sandbox.requests["youtube"].count(
            ("POST", "/youtube/v3/liveBroadcasts/transition")
        )
        >= 1
    )
    await eventually(lambda: slack.updates)  # the announcement is refreshed after the start
    assert scheduled.scheduler.planned("broadcast", stream_id) == []


async def test_a_job_due_while_down_runs_late_and_says_so(scheduled: Services) -> None:
    slack = scheduled.announcements.publishers["slack"]
    scheduled.scheduler.late_after = timedelta(seconds=1)
    # Planned while no process ran jobs: the start falls due before the scheduler starts.
    stream_id = await _scheduled_broadcast(scheduled, datetime.now(UTC) + timedelta(seconds=0.2))
    await asyncio.sleep(1.5)
    await scheduled.scheduler.start()
    await eventually(lambda: _starts(scheduled, stream_id))
    (entry,) = await _starts(scheduled, stream_id)
    assert entry.operation.startswith("golive was not running at") and "late" in entry.operation
    await eventually(lambda: any("late" in n for _, _, a in slack.updates for n in a.notes))


async def test_a_job_later_than_the_grace_time_is_dropped(scheduled: Services) -> None:
    scheduled.settings.schedule_grace = "1s"  # read when the store opens
    stream_id = await _scheduled_broadcast(scheduled, datetime.now(UTC) + timedelta(seconds=0.1))
    await scheduled.scheduler.stop()
    await asyncio.sleep(1.6)
    await scheduled.scheduler.start()
    await eventually(lambda: scheduled.scheduler.planned("broadcast", stream_id) == [])
    await asyncio.sleep(0.3)
    assert await _starts(scheduled, stream_id) == []


async def test_edit_moves_the_jobs_and_cancel_removes_them(scheduled: Services) -> None:
    await scheduled.connections.connect_in_sandbox("w", "U1", "youtube")
    created = await run(scheduled, WHO, "golive", '"Launch" on youtube at 2030-01-05 18:00 UTC')
    assert created.ok, created.private
    assert any("starts broadcast" in line and "automatically" in line for line in created.private)
    stream_id = (await scheduled.livestreams.list("w"))[0].id
    planned = scheduled.scheduler.planned("broadcast", stream_id)
    assert planned[-1] == (
        f"broadcast:{stream_id}:start",
        datetime(2030, 1, 5, 18, 0, tzinfo=UTC),
    )
    assert len(planned) == 3

    edited = await run(
        scheduled, WHO, "golive", f'edit {stream_id} "Relaunch" at 2030-01-06 19:30 UTC'
    )
    assert edited.ok, edited.private
    stream = await scheduled.livestreams.get("w", stream_id)
    assert stream.title == "Relaunch"
    planned = scheduled.scheduler.planned("broadcast", stream_id)
    assert planned[-1][1] == datetime(2030, 1, 6, 19, 30, tzinfo=UTC)
    assert [at for _, at in planned[:-1]] == [
        datetime(2030, 1, 6, 19, 29, 58, tzinfo=UTC),
        datetime(2030, 1, 6, 19, 29, 59, tzinfo=UTC),
    ]

    cancelled = await run(scheduled, WHO, "golive", f"cancel {stream_id}")
    assert cancelled.ok, cancelled.private
    assert scheduled.scheduler.planned("broadcast", stream_id) == []
    assert (await scheduled.livestreams.get("w", stream_id)).status == "cancelled"
    assert (await run(scheduled, WHO, "golive", f"cancel {stream_id}")).ok is False
