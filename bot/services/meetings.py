"""Meetings across platforms: every link created concurrently, the primary one first.

Each stored link is checked to be https on the platform's host before it is posted, so a
misbehaving server cannot make golive post a link elsewhere. A host's start link is a secret:
it is stored encrypted and only ever handed to the host privately.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select

from bot.commands import CreateMeeting
from bot.messages import display, explain
from bot.services.choices import check_choices
from bot.services.errors import NotFound, ServiceError
from bot.services.livestreams import new_id
from bot.services.progress import Progress, report
from providers.base import Kind, MeetingHandle, MeetingRequest
from providers.errors import InvalidRequest, PlatformError
from storage.models import AuditEntry, Meeting, MeetingPlatform

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)


def link_domains(provider: object) -> tuple[str, ...]:
    """Where a provider's join links may point: its declared domains, else its own host."""
    domains = tuple(getattr(provider, "link_domains", ()) or ())
    if domains:
        return domains
    host = getattr(provider, "host", None)
    if not host:
        host = urlsplit(provider.config.endpoints.api_url).hostname  # type: ignore[attr-defined]
    return (host,)


def check_link(platform: str, url: str, domains: tuple[str, ...] | str) -> str:
    """Only https links on the platform's domain (or a subdomain of it) are ever posted."""
    domains = (domains,) if isinstance(domains, str) else domains
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    on_domain = any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)
    if parts.scheme != "https" or not on_domain:
        raise InvalidRequest(
            platform,
            f"the platform returned a link outside {', '.join(domains)}; it was not posted",
        )
    return url


class MeetingService:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def create(
        self,
        workspace: str,
        user: str,
        cmd: CreateMeeting,
        timezone: str | None = None,
        progress: Progress | None = None,
    ) -> Meeting:
        await check_choices(
            self.services,
            workspace,
            user,
            Kind.MEETING,
            cmd.platforms,
            cmd.primary,
            cmd.settings,
        )
        request = MeetingRequest(
            title=cmd.title,
            start=cmd.start,
            duration_minutes=cmd.duration_minutes,
            record=cmd.record,
            timezone=timezone or self.services.settings.timezone,
        )

        async def one(platform: str) -> MeetingHandle | PlatformError:
            await report(progress, platform, "creating")
            try:
                provider = await self.services.connections.provider(
                    workspace, platform, actor=user, operation="create meeting"
                )
                own = dataclasses.replace(request, settings=dict(cmd.settings.get(platform, {})))
                handle = await provider.create_meeting(own)
                check_link(platform, handle.join_url, link_domains(provider))
            except PlatformError as exc:
                log.warning("%s failed: code=%s %s", platform, exc.code, exc.message)
                await report(progress, platform, "failed", explain(exc))
                return exc
            await report(progress, platform, "created")
            return handle

        results = await asyncio.gather(*(one(p) for p in cmd.platforms))
        ordered = sorted(
            zip(cmd.platforms, results, strict=True), key=lambda pr: pr[0] != cmd.primary
        )
        meeting = Meeting(
            id=new_id(),
            workspace=workspace,
            title=cmd.title,
            primary_platform=cmd.primary,
            start=cmd.start,
            duration_minutes=cmd.duration_minutes,
            timezone=request.timezone,
            record=cmd.record,
            created_by=user,
        )
        vault = self.services.vault
        for position, (platform, result) in enumerate(ordered):
            row = MeetingPlatform(platform=platform, position=position, data={})
            if isinstance(result, MeetingHandle):
                row.remote_id = result.remote_id
                row.join_url = result.join_url
                row.host_url_enc = vault.encrypt_optional(
                    result.host_url.get_secret_value() if result.host_url else None
                )
                row.passcode_enc = vault.encrypt_optional(
                    result.passcode.get_secret_value() if result.passcode else None
                )
                row.data = dict(result.data)
                row.status = "created"
            else:
                row.status = "failed"
                row.error = explain(result)
            meeting.platforms.append(row)
        if all(r.status == "failed" for r in meeting.platforms):
            reasons = " ".join(r.error or "" for r in meeting.platforms)
            raise ServiceError(f"No meeting could be created. {reasons}")
        async with self.services.db.transaction() as session:
            session.add(meeting)
        self.services.recordings.after_meeting_change(meeting)
        return meeting

    async def _load(
        self, session, workspace: str, meeting_id: str | None, user: str, admin: bool
    ) -> Meeting:
        if meeting_id is None:
            query = (
                select(Meeting)
                .where(Meeting.workspace == workspace, Meeting.status != "cancelled")
                .order_by(Meeting.created_at.desc())
                .limit(1)
            )
            meeting = (await session.execute(query)).scalar_one_or_none()
        else:
            meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.workspace != workspace:
            raise NotFound(f"No meeting has the id {meeting_id}: /meet list shows them.")
        if not admin and meeting.created_by != user:
            raise ServiceError(
                "Only the person who created the meeting or a golive admin can change it."
            )
        return meeting

    async def get(self, workspace: str, meeting_id: str) -> Meeting:
        async with self.services.db.sessions() as session:
            return await self._load(session, workspace, meeting_id, "", True)

    async def update(
        self,
        workspace: str,
        user: str,
        meeting_id: str,
        *,
        title: str | None = None,
        start: datetime | None = None,
        duration_minutes: int | None = None,
        admin: bool = True,
        progress: Progress | None = None,
    ) -> Meeting:
        """Change title, time or length on every platform that holds the meeting.

        A platform that refuses keeps its old details and says why; the others change. The
        stored meeting takes the new details as soon as one platform (or none is left to
        ask) has them, so what golive shows matches what most people see."""
        async with self.services.db.transaction() as session:
            meeting = await self._load(session, workspace, meeting_id, user, admin)
            if meeting.status == "cancelled":
                raise ServiceError(f"Meeting {meeting.id} was cancelled; create a new one.")
            request = MeetingRequest(
                title=title or meeting.title,
                start=start or meeting.start,
                duration_minutes=duration_minutes or meeting.duration_minutes,
                record=meeting.record,
                timezone=meeting.timezone,
            )
            rows = [r for r in meeting.platforms if r.status == "created"]

            async def one(row: MeetingPlatform) -> None:
                await report(progress, row.platform, "updating")
                try:
                    provider = await self.services.connections.provider(
                        workspace, row.platform, actor=user, operation="update meeting"
                    )
                    handle = MeetingHandle(
                        remote_id=row.remote_id or "", join_url=row.join_url or "", data=row.data
                    )
                    fresh = await provider.update_meeting(handle, request)
                    check_link(row.platform, fresh.join_url, link_domains(provider))
                except PlatformError as exc:
                    log.warning("%s update failed: code=%s %s", row.platform, exc.code, exc.message)
                    row.error = f"not updated: {explain(exc)}"
                    await report(progress, row.platform, "failed", row.error)
                    return
                row.join_url = fresh.join_url
                row.remote_id = fresh.remote_id or row.remote_id
                row.data = {**(row.data or {}), **fresh.data}
                if fresh.host_url:
                    row.host_url_enc = self.services.vault.encrypt(
                        fresh.host_url.get_secret_value()
                    )
                row.error = None
                await report(progress, row.platform, "updated")

            await asyncio.gather(*(one(r) for r in rows))
            meeting.title = request.title
            meeting.start = request.start
            meeting.duration_minutes = request.duration_minutes
            session.add(AuditEntry(actor=user, action="meeting update", target=meeting.id))
        self.services.recordings.after_meeting_change(meeting)
        return meeting

    async def cancel(
        self,
        workspace: str,
        user: str,
        meeting_id: str,
        *,
        admin: bool = True,
        progress: Progress | None = None,
    ) -> Meeting:
        """Delete the meeting on every platform; a platform that refuses is named, not hidden."""
        async with self.services.db.transaction() as session:
            meeting = await self._load(session, workspace, meeting_id, user, admin)
            if meeting.status == "cancelled":
                raise ServiceError(f"Meeting {meeting.id} is already cancelled; nothing changed.")

            async def one(row: MeetingPlatform) -> None:
                if row.status != "created":
                    row.status = "cancelled"
                    return
                await report(progress, row.platform, "cancelling")
                try:
                    provider = await self.services.connections.provider(
                        workspace, row.platform, actor=user, operation="cancel meeting"
                    )
                    handle = MeetingHandle(
                        remote_id=row.remote_id or "", join_url=row.join_url or "", data=row.data
                    )
                    await provider.delete_meeting(handle)
                except PlatformError as exc:
                    row.error = f"still open there: {explain(exc)}"
                    await report(progress, row.platform, "failed", row.error)
                    return
                row.status = "cancelled"
                row.error = None
                await report(progress, row.platform, "cancelled")

            await asyncio.gather(*(one(r) for r in meeting.platforms))
            meeting.status = "cancelled"
            session.add(AuditEntry(actor=user, action="meeting cancel", target=meeting.id))
        self.services.recordings.after_meeting_change(meeting)
        return meeting

    async def invitations(
        self, workspace: str, meeting: Meeting, invitees: Sequence[str], user: str
    ) -> list[tuple[str, str]]:
        """(invitee, text) for private messages: a personal link where the platform makes one."""
        if not invitees:
            return []
        rows = [r for r in meeting.platforms if r.status == "created" and r.join_url]
        providers = {
            row.platform: await self.services.connections.provider(
                workspace, row.platform, actor=user, operation="invite"
            )
            for row in rows
        }
        out = []
        for invitee in invitees:
            name = invitee.lstrip("@").strip("<>").split("|")[-1].lstrip("@")
            lines = []
            for row in rows:
                provider = providers[row.platform]
                url = row.join_url or ""
                if hasattr(provider, "invite_link"):
                    handle = MeetingHandle(remote_id=row.remote_id or "", join_url=row.join_url)
                    url = await provider.invite_link(
                        handle, meeting.title, user_id=invitee, user_name=name
                    )
                star = "★ " if row.platform == meeting.primary_platform else ""
                lines.append(f"{star}{display(row.platform)}: {url}")
            out.append((invitee, f"You are invited to “{meeting.title}”: " + " · ".join(lines)))
        return out

    async def host_links(self, workspace: str, meeting_id: str, user: str) -> list[tuple[str, str]]:
        """The host's start links, for a private message to the host only."""
        async with self.services.db.transaction() as session:
            meeting = await session.get(Meeting, meeting_id)
            if meeting is None or meeting.workspace != workspace:
                raise ServiceError(f"No meeting has the id {meeting_id}: /meet list shows them.")
            if meeting.created_by != user:
                raise ServiceError("Only the person who created the meeting gets its host links.")
            return [
                (
                    row.platform,
                    self.services.vault.decrypt(
                        session,
                        row.host_url_enc,
                        what=f"host_url:{row.platform}",
                        operation="host links",
                        actor=user,
                    ),
                )
                for row in meeting.platforms
                if row.host_url_enc
            ]

    async def list(self, workspace: str, limit: int = 10) -> Sequence[Meeting]:
        async with self.services.db.sessions() as session:
            query = (
                select(Meeting)
                .where(Meeting.workspace == workspace)
                .order_by(Meeting.created_at.desc())
                .limit(limit)
            )
            return (await session.execute(query)).scalars().all()
