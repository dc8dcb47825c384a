"""Recordings of ended broadcasts and meetings: looked up until found, stored, announced.

Platforms take time to process a recording (YouTube the broadcast's video, Zoom the cloud
recording), so golive asks again with growing gaps (:data:`DELAYS`, about two hours in all)
through the scheduler's persistent job store: a restart loses no lookup, and with several
processes only the scheduling leader asks. A broadcast is looked up once it ends and only
when it was created with ``record``; a meeting after its planned end, when it records (``record``
or Zoom's ``auto_recording=cloud``).

What is found is stored as :class:`storage.models.RecordingLink` rows (only links members
may click; never a download URL that needs a token, never a passcode) and as the platform
row's ``recording_url``, which the tracked links and the watch page already follow. Every copy
of the announcement is refreshed so it lists the recordings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.messages import display
from providers import provider_class
from providers.base import BroadcastHandle, BroadcastState, MeetingHandle
from providers.errors import PlatformError
from providers.recordings import Found, NoRecording, Processing
from storage.models import Livestream, Meeting, RecordingLink

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)

ACTOR = "golive recordings"
#: seconds before each lookup: the first soon after the end, the last about two hours later
DELAYS: tuple[float, ...] = (60, 120, 300, 600, 900, 1800, 1800, 1800)


async def lookup_job(kind: str, workspace: str, item_id: str, attempt: str) -> None:
    """What the stored job calls (by reference, so it survives restarts)."""
    from bot.services.scheduler import current

    scheduler = current()
    if scheduler is None:
        log.warning("recording lookup of %s ran with no scheduler running", item_id)
        return
    await scheduler.services.recordings.lookup(kind, workspace, item_id, int(attempt))


@dataclass(frozen=True)
class LookupResult:
    found: dict[str, list[str]]  # platform -> recording URLs found now
    pending: tuple[str, ...]  # platforms still processing
    next_at: datetime | None  # when golive asks again; None when done or given up


def _supports(platform: str, method: str) -> bool:
    try:
        return hasattr(provider_class(platform), method)
    except KeyError:
        return False


def _resolved(data: dict[str, Any] | None) -> bool:
    return (data or {}).get("recording") in ("found", "none")


class RecordingService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.delays: tuple[float, ...] = DELAYS
        self.clock = lambda: datetime.now(UTC)

    # -- planning --------------------------------------------------------------------------

    def _job_id(self, kind: str, item_id: str) -> str:
        return f"recordings:{kind}:{item_id}:lookup"

    def _plan(self, kind: str, workspace: str, item_id: str, at: datetime, attempt: int) -> None:
        self.services.scheduler.plan_job(
            self._job_id(kind, item_id),
            lookup_job,
            at,
            [kind, workspace, item_id, str(attempt)],
        )

    def after_broadcast(self, stream: Livestream) -> datetime | None:
        """A broadcast ended: plan the first lookup when it was recorded on a platform that
        keeps recordings; returns when, or None."""
        if stream.status != "ended" or not stream.record:
            return None
        if not any(_supports(r.platform, "find_recordings") for r in stream.platforms):
            return None
        at = self.clock() + timedelta(seconds=self.delays[0])
        self._plan("broadcast", stream.workspace, stream.id, at, 0)
        return at

    def after_meeting_change(self, meeting: Meeting) -> datetime | None:
        """A meeting was created or moved: plan the first lookup after its planned end."""
        if meeting.status == "cancelled":
            self.services.scheduler.unplan("recordings", f"meeting:{meeting.id}")
            return None
        rows = [r for r in meeting.platforms if _supports(r.platform, "find_meeting_recordings")]
        records = meeting.record or any(
            (r.data or {}).get("auto_recording") == "cloud" for r in rows
        )
        if not rows or not records:
            return None
        begin = meeting.start or meeting.created_at or self.clock()
        end = begin + timedelta(minutes=meeting.duration_minutes or 60)
        at = max(end, self.clock()) + timedelta(seconds=self.delays[0])
        self._plan("meeting", meeting.workspace, meeting.id, at, 0)
        return at

    # -- looking -----------------------------------------------------------------------------

    async def lookup(
        self, kind: str, workspace: str, item_id: str, attempt: int = 0
    ) -> LookupResult:
        """Ask every platform of the item that has no answer yet; plan the next try."""
        model = Livestream if kind == "broadcast" else Meeting
        async with self.services.db.sessions() as session:
            item = await session.get(model, item_id)
        if item is None or item.status == "cancelled":
            return LookupResult({}, (), None)
        found: dict[str, list[str]] = {}
        pending: list[str] = []
        for row in item.platforms:
            if _resolved(row.data) or row.status in ("failed", "cancelled"):
                continue
            outcome = await self._ask(kind, workspace, row)
            if outcome is None:
                continue
            if isinstance(outcome, Found):
                found[row.platform] = await self._store(kind, item, row.platform, outcome)
            elif isinstance(outcome, NoRecording):
                await self._mark(model, item.id, row.platform, "none", outcome.reason)
            else:
                pending.append(row.platform)
        last = attempt + 1 >= len(self.delays)
        next_at = None
        if pending and not last:
            next_at = self.clock() + timedelta(seconds=self.delays[attempt + 1])
            self._plan(kind, workspace, item_id, next_at, attempt + 1)
        elif pending:
            for platform in pending:
                await self._mark(model, item.id, platform, "none", "no recording after two hours")
        if found:
            await self._announce(kind, workspace, item_id)
        return LookupResult(found, tuple(pending), next_at)

    async def _ask(self, kind: str, workspace: str, row: Any) -> Any:
        """The platform's answer; None when it has no recording lookup; a PlatformError
        counts as "still processing" so a passing outage or a reconnect is waited out."""
        method = "find_recordings" if kind == "broadcast" else "find_meeting_recordings"
        if not _supports(row.platform, method):
            return None
        try:
            provider = await self.services.connections.provider(
                workspace, row.platform, actor=ACTOR, operation="recording lookup"
            )
            if kind == "broadcast":
                handle: Any = BroadcastHandle(
                    remote_id=row.remote_id or "",
                    state=BroadcastState(row.status),
                    watch_url=row.watch_url,
                    data=dict(row.data or {}),
                )
            else:
                handle = MeetingHandle(
                    remote_id=row.remote_id or "",
                    join_url=row.join_url or "",
                    data=dict(row.data or {}),
                )
            return await getattr(provider, method)(handle)
        except PlatformError as exc:
            log.info("recording lookup on %s: %s", row.platform, exc.message)
            return Processing(exc.message or type(exc).__name__)

    async def _store(self, kind: str, item: Any, platform: str, outcome: Found) -> list[str]:
        model = type(item)
        urls = []
        async with self.services.db.transaction() as session:
            known = set(
                (
                    await session.execute(
                        select(RecordingLink.url).where(
                            RecordingLink.item_kind == kind,
                            RecordingLink.item_id == item.id,
                            RecordingLink.platform == platform,
                        )
                    )
                ).scalars()
            )
            for recording in outcome.recordings:
                urls.append(recording.url)
                if recording.url in known:
                    continue
                session.add(
                    RecordingLink(
                        workspace=item.workspace,
                        item_kind=kind,
                        item_id=item.id,
                        platform=platform,
                        url=recording.url,
                        kind=recording.kind,
                        label=recording.label or f"{display(platform)} recording",
                        passcode_required=recording.passcode_required,
                    )
                )
        await self._mark(model, item.id, platform, "found", None, urls[0] if urls else None)
        return urls

    async def _mark(
        self,
        model: type[Livestream] | type[Meeting],
        item_id: str,
        platform: str,
        state: str,
        reason: str | None,
        url: str | None = None,
    ) -> None:
        async with self.services.db.transaction() as session:
            item = await session.get(model, item_id, populate_existing=True)
            assert item is not None
            for row in item.platforms:
                if row.platform != platform:
                    continue
                data = dict(row.data or {})
                data["recording"] = state
                if url:
                    data["recording_url"] = url
                if reason:
                    data["recording_note"] = reason[:200]
                row.data = data

    async def _announce(self, kind: str, workspace: str, item_id: str) -> None:
        from bot.handlers import broadcast_post, meeting_post

        services = self.services
        tz = services.settings.timezone
        if kind == "broadcast":
            stream = await services.livestreams.get(workspace, item_id)
            post = await broadcast_post(services, stream, tz)
        else:
            meeting = await services.meetings.get(workspace, item_id)
            post = await meeting_post(services, meeting, tz)
        await services.announcements.refresh(workspace, post)

    # -- reading -----------------------------------------------------------------------------

    async def links(self, kind: str, item_id: str) -> list[RecordingLink]:
        async with self.services.db.sessions() as session:
            rows = await session.execute(
                select(RecordingLink)
                .where(RecordingLink.item_kind == kind, RecordingLink.item_id == item_id)
                .order_by(RecordingLink.id)
            )
            return list(rows.scalars())

    async def recent(self, workspace: str, limit: int = 5) -> list[tuple[RecordingLink, str]]:
        """The newest recordings of a workspace with their item's title, newest first."""
        async with self.services.db.sessions() as session:
            rows = list(
                (
                    await session.execute(
                        select(RecordingLink)
                        .where(RecordingLink.workspace == workspace)
                        .order_by(RecordingLink.found_at.desc(), RecordingLink.id.desc())
                        .limit(limit)
                    )
                ).scalars()
            )
            out = []
            for row in rows:
                model = Livestream if row.item_kind == "broadcast" else Meeting
                item = await session.get(model, row.item_id)
                out.append((row, item.title if item else row.item_id))
        return out


def recording_notes(platform_rows: Any, tracked: dict[str, str] | None) -> tuple[str, ...]:
    """``Recording on YouTube: <link>`` for each platform whose recording was found; the link
    is golive's tracked one (it leads to the recording) where there is one."""
    notes = []
    for row in platform_rows:
        url = (row.data or {}).get("recording_url")
        if not isinstance(url, str) or not url.startswith("https://"):
            continue
        shown = (tracked or {}).get(row.platform) or url
        notes.append(f"Recording on {display(row.platform)}: {shown}")
    return tuple(notes)
