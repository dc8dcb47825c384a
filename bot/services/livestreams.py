"""Broadcasts across platforms: create, start, stop and status, each platform on its own.

Platforms run concurrently; one failing never stops or rolls back the others, and its reason
is stored with it. Start and stop are idempotent: a platform already live (or ended) is left
as it is and said to be so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr
from sqlalchemy import select

from bot.commands import CreateBroadcast
from bot.messages import display, explain
from bot.relay.ffmpeg import FfmpegMissing
from bot.services.choices import check_choices
from bot.services.errors import NotFound, ServiceError
from bot.services.progress import Progress, report
from providers import provider_class
from providers.base import BroadcastHandle, BroadcastRequest, BroadcastState, Kind
from providers.errors import AuthExpired, PlatformError
from storage.models import AuditEntry, Livestream, LivestreamPlatform

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger(__name__)


def new_id() -> str:
    """Short ids people can type: 8 characters, ~40 bits (ids are not secrets)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


@dataclass(frozen=True)
class IngestPlan:
    """What the admin configures in the encoder: as few outputs as the platforms allow.

    ``outputs`` are (platform, ingest URL, stream key); ``carried`` names, per aggregating
    platform (Restream), the broadcast's platforms it forwards to, so they need no output
    of their own."""

    outputs: list[tuple[str, str | None, str | None]]
    carried: dict[str, list[str]]
    #: platforms an aggregator also sends to, but whose golive broadcast has its own stream
    doubled: dict[str, list[str]] = field(default_factory=dict)
    #: with the built-in relay on (docs/relay.md), ``outputs`` is the relay's one address and
    #: key, and these are the platforms the relay sends a copy to
    relayed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlatformOutcome:
    platform: str
    changed: bool
    note: str | None = None


class LivestreamService:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def create(
        self, workspace: str, user: str, cmd: CreateBroadcast, progress: Progress | None = None
    ) -> Livestream:
        await check_choices(
            self.services,
            workspace,
            user,
            Kind.LIVESTREAM,
            cmd.platforms,
            cmd.primary,
            cmd.settings,
        )
        request = BroadcastRequest(
            title=cmd.title,
            description=cmd.description,
            scheduled_start=cmd.start,
            record=cmd.record,
        )

        async def one(platform: str) -> tuple[str, BroadcastHandle | BaseException]:
            await report(progress, platform, "creating")
            try:
                provider = await self.services.connections.provider(
                    workspace, platform, actor=user, operation="create broadcast"
                )
                own = dataclasses.replace(request, settings=dict(cmd.settings.get(platform, {})))
                handle = await provider.create_broadcast(own)
            except PlatformError as exc:
                await self._note_failure(workspace, exc)
                await report(progress, platform, BroadcastState.FAILED.value, explain(exc))
                return platform, exc
            await report(progress, platform, handle.state.value, handle.message)
            return platform, handle

        results = await asyncio.gather(*(one(p) for p in cmd.platforms))
        vault = self.services.vault
        stream = Livestream(
            id=new_id(),
            workspace=workspace,
            title=cmd.title,
            description=cmd.description,
            primary_platform=cmd.primary,
            scheduled_start=cmd.start,
            record=cmd.record,
            chat_relay=cmd.chat_relay,
            created_by=user,
            status="created",
        )
        for position, (platform, result) in enumerate(results):
            row = LivestreamPlatform(platform=platform, position=position, attempts=1, data={})
            if isinstance(result, BroadcastHandle):
                self._apply(row, result)
                row.ingest_url_enc = vault.encrypt_optional(result.ingest_url)
                row.stream_key_enc = vault.encrypt_optional(
                    result.stream_key.get_secret_value() if result.stream_key else None
                )
            else:
                row.status = BroadcastState.FAILED.value
                row.error = explain(result)
            stream.platforms.append(row)
        async with self.services.db.transaction() as session:
            session.add(stream)
        return stream

    async def _note_failure(self, workspace: str, exc: PlatformError) -> None:
        log.warning(
            "%s failed: code=%s status=%s %s", exc.platform, exc.code, exc.status, exc.message
        )
        if isinstance(exc, AuthExpired):
            await self.services.connections.mark(workspace, exc.platform, "expired", exc.message)

    @staticmethod
    def _apply(row: LivestreamPlatform, handle: BroadcastHandle) -> None:
        row.remote_id = handle.remote_id
        row.status = handle.state.value
        row.watch_url = handle.watch_url or row.watch_url
        row.data = {**(row.data or {}), **handle.data}
        row.quota_used = (row.quota_used or 0) + handle.quota_used
        row.error = handle.message if handle.state is BroadcastState.FAILED else None
        if handle.message and handle.state is not BroadcastState.FAILED:
            row.data["note"] = handle.message  # e.g. "waiting for the encoder"
        else:
            row.data.pop("note", None)

    def _handle(
        self, session, row: LivestreamPlatform, user: str, operation: str
    ) -> BroadcastHandle:
        vault = self.services.vault
        key = None
        if row.stream_key_enc:
            key = SecretStr(
                vault.decrypt(
                    session,
                    row.stream_key_enc,
                    what=f"stream_key:{row.platform}",
                    operation=operation,
                    actor=user,
                )
            )
        return BroadcastHandle(
            remote_id=row.remote_id or "",
            state=BroadcastState(row.status),
            watch_url=row.watch_url,
            stream_key=key,
            data=dict(row.data or {}),
        )

    async def get(self, workspace: str, stream_id: str | None) -> Livestream:
        async with self.services.db.sessions() as session:
            query = select(Livestream).where(Livestream.workspace == workspace)
            if stream_id:
                query = query.where(Livestream.id == stream_id)
            else:
                query = query.order_by(Livestream.created_at.desc()).limit(1)
            stream = (await session.execute(query)).scalars().first()
        if stream is None:
            if stream_id:
                raise NotFound(f"No broadcast has the id {stream_id}: /golive list shows them.")
            raise ServiceError(
                'There is no broadcast yet: create one with /golive "Title" on youtube.'
            )
        return stream

    async def list(self, workspace: str, limit: int = 10) -> Sequence[Livestream]:
        async with self.services.db.sessions() as session:
            query = (
                select(Livestream)
                .where(Livestream.workspace == workspace)
                .order_by(Livestream.created_at.desc())
                .limit(limit)
            )
            return (await session.execute(query)).scalars().all()

    async def ingest(
        self, workspace: str, stream_id: str | None, user: str
    ) -> list[tuple[str, str | None, str | None]]:
        """(platform, ingest URL, stream key) per platform: for admins only, never a channel."""
        stream = await self.get(workspace, stream_id)
        plan = []
        async with self.services.db.transaction() as session:
            for row in stream.platforms:
                vault = self.services.vault
                url = key = None
                if row.ingest_url_enc:
                    url = vault.decrypt(
                        session,
                        row.ingest_url_enc,
                        what=f"ingest_url:{row.platform}",
                        operation="show ingest",
                        actor=user,
                    )
                if row.stream_key_enc:
                    key = vault.decrypt(
                        session,
                        row.stream_key_enc,
                        what=f"stream_key:{row.platform}",
                        operation="show ingest",
                        actor=user,
                    )
                plan.append((row.platform, url, key))
        return plan

    async def ingest_plan(self, workspace: str, stream_id: str | None, user: str) -> IngestPlan:
        """What the encoder is given: the relay's one address and key when the relay is on,
        else :meth:`direct_plan`."""
        plan = await self.direct_plan(workspace, stream_id, user)
        relay = self.services.relay
        if not relay.enabled:
            return plan
        stream = await self.get(workspace, stream_id)
        key = await relay.key(stream.id, user)
        relayed = [platform for platform, url, _ in plan.outputs if url]
        return IngestPlan([("relay", relay.address, key)], plan.carried, plan.doubled, relayed)

    async def direct_plan(self, workspace: str, stream_id: str | None, user: str) -> IngestPlan:
        """One output for an aggregator (Restream) and only the platforms it does not carry
        besides; without one, an output per platform."""
        stream = await self.get(workspace, stream_id)
        entries = await self.ingest(workspace, stream.id, user)
        carried: dict[str, list[str]] = {}
        doubled: dict[str, list[str]] = {}
        for row in stream.platforms:
            aggregates = getattr(provider_class(row.platform), "aggregates_ingest", False)
            if aggregates and row.status != BroadcastState.FAILED.value:
                carries = [p for p in (row.data or {}).get("carries", "").split(",") if p]
                both = [r.platform for r in stream.platforms if r.platform in carries]
                carried[row.platform] = [
                    p for p in both if not provider_class(p).per_broadcast_ingest
                ]
                doubled[row.platform] = [p for p in both if provider_class(p).per_broadcast_ingest]
        covered = {p for names in carried.values() for p in names}
        outputs = [e for e in entries if e[0] not in covered and (e[1] or e[2])]
        return IngestPlan(outputs, carried, doubled)

    async def _transition(
        self,
        workspace: str,
        user: str,
        stream_id: str | None,
        *,
        target: BroadcastState,
        allowed_from: set[BroadcastState],
        method: str,
        progress: Progress | None,
        only: set[str] | None = None,
    ) -> tuple[Livestream, list[PlatformOutcome]]:
        stream = await self.get(workspace, stream_id)
        if stream.status == "cancelled":
            raise ServiceError(f"Broadcast {stream.id} was cancelled; create a new one.")
        operation = f"{method.split('_')[0]} broadcast"

        async def one(row: LivestreamPlatform, handle: BroadcastHandle) -> PlatformOutcome:
            state = BroadcastState(row.status)
            if only is not None and row.platform not in only:
                return PlatformOutcome(row.platform, False)
            if state is target:
                return PlatformOutcome(row.platform, False, f"already {target.value}")
            if state not in allowed_from:
                return PlatformOutcome(row.platform, False, f"is {state.value}")
            row.attempts += 1
            await report(
                progress, row.platform, "starting" if target is BroadcastState.LIVE else "stopping"
            )
            try:
                provider = await self.services.connections.provider(
                    workspace, row.platform, actor=user, operation=operation
                )
                result = await getattr(provider, method)(handle)
            except PlatformError as exc:
                await self._note_failure(workspace, exc)
                row.error = explain(exc)
                if target is BroadcastState.LIVE:
                    row.status = BroadcastState.FAILED.value
                await report(progress, row.platform, row.status, row.error)
                return PlatformOutcome(row.platform, True, row.error)
            self._apply(row, result)
            await report(progress, row.platform, row.status, result.message)
            return PlatformOutcome(row.platform, True)

        async with self.services.db.transaction() as session:
            stream = await session.get(Livestream, stream.id, populate_existing=True)
            assert stream is not None
            handles = [self._handle(session, row, user, operation) for row in stream.platforms]
        outcomes = await asyncio.gather(
            *(one(r, h) for r, h in zip(stream.platforms, handles, strict=True))
        )
        states = {BroadcastState(r.status) for r in stream.platforms}
        if target is BroadcastState.LIVE and BroadcastState.LIVE in states:
            stream.status = "live"
        elif target is BroadcastState.ENDED and BroadcastState.LIVE not in states:
            stream.status = "ended"
        async with self.services.db.transaction() as session:
            await session.merge(stream)
        await self.services.chat.changed(workspace, stream)
        await self.services.events.follow("broadcast", stream.id, stream.status)
        return stream, list(outcomes)

    async def start(
        self,
        workspace: str,
        user: str,
        stream_id: str | None = None,
        progress: Progress | None = None,
        only: set[str] | None = None,
    ):
        """Go live on every platform (or on ``only`` those named)."""
        if self.services.relay.enabled:
            await self._relay_begin(workspace, user, stream_id, progress)
        return await self._transition(
            workspace,
            user,
            stream_id,
            target=BroadcastState.LIVE,
            allowed_from={BroadcastState.READY, BroadcastState.PENDING},
            method="start_broadcast",
            progress=progress,
            only=only,
        )

    async def encoders(self, workspace: str, user: str, stream_id: str) -> dict[str, bool]:
        """Per platform that can tell (``encoder_active``) and is still to start: whether the
        encoder's stream reaches it. Platforms that cannot tell are left out."""
        stream = await self.get(workspace, stream_id)
        waiting = {BroadcastState.READY.value, BroadcastState.PENDING.value}
        # no stream key needed to look, so none is decrypted
        rows = [
            (
                row.platform,
                BroadcastHandle(
                    remote_id=row.remote_id or "",
                    state=BroadcastState(row.status),
                    data=dict(row.data or {}),
                ),
            )
            for row in stream.platforms
            if row.status in waiting and hasattr(provider_class(row.platform), "encoder_active")
        ]

        async def one(platform: str, handle: BroadcastHandle) -> tuple[str, bool]:
            try:
                provider = await self.services.connections.provider(
                    workspace, platform, actor=user, operation="check encoder"
                )
                return platform, bool(await provider.encoder_active(handle))
            except PlatformError as exc:
                log.info("encoder check on %s failed: %s", platform, exc.message)
                return platform, False

        return dict(await asyncio.gather(*(one(p, h) for p, h in rows)))

    async def stop(
        self,
        workspace: str,
        user: str,
        stream_id: str | None = None,
        progress: Progress | None = None,
    ):
        stream, outcomes = await self._transition(
            workspace,
            user,
            stream_id,
            target=BroadcastState.ENDED,
            allowed_from={BroadcastState.LIVE, BroadcastState.READY, BroadcastState.PENDING},
            method="stop_broadcast",
            progress=progress,
        )
        # after the platforms ended the broadcast, so viewers see an end and not a dropout
        await self.services.relay.end(stream.id)
        self.services.recordings.after_broadcast(stream)  # look for its recordings later
        return stream, outcomes

    async def _relay_begin(
        self, workspace: str, user: str, stream_id: str | None, progress: Progress | None
    ) -> None:
        """Hand the relay its destinations before the platforms are asked to go live: some
        (YouTube) only go live once the stream arrives."""
        stream = await self.get(workspace, stream_id)
        if stream.status not in ("created", "live"):
            return
        relay = self.services.relay
        try:
            destinations = await relay.begin(workspace, user, stream.id)
        except (FfmpegMissing, OSError) as exc:
            log.error("relay: could not start the outputs of %s: %s", stream.id, exc)
            await report(progress, "golive relay", "failed", str(exc))
            return
        encoder, _ = relay.status(stream.id) or (None, [])
        waiting = encoder is None or encoder.state == "waiting"
        for destination in destinations:
            await report(
                progress,
                f"relay to {display(destination.name)}",
                "pending" if waiting else "sending",
            )

    async def cancel(
        self, workspace: str, user: str, stream_id: str, progress: Progress | None = None
    ) -> Livestream:
        """Call the broadcast off: live platforms are ended, prepared ones withdrawn where the
        platform can (otherwise left to expire, and said so)."""
        stream = await self.get(workspace, stream_id)
        if stream.status in ("cancelled", "ended"):
            raise ServiceError(
                f"Broadcast {stream.id} is already {stream.status}; nothing changed."
            )
        async with self.services.db.transaction() as session:
            stream = await session.get(Livestream, stream.id, populate_existing=True)
            assert stream is not None
            handles = [self._handle(session, r, user, "cancel broadcast") for r in stream.platforms]

        async def one(row: LivestreamPlatform, handle: BroadcastHandle) -> None:
            state = BroadcastState(row.status)
            if state in (BroadcastState.ENDED, BroadcastState.FAILED, BroadcastState.CANCELLED):
                return
            await report(progress, row.platform, "cancelling")
            try:
                provider = await self.services.connections.provider(
                    workspace, row.platform, actor=user, operation="cancel broadcast"
                )
                withdraw = getattr(provider, "cancel_broadcast", None)
                if state is BroadcastState.LIVE or withdraw is None:
                    self._apply(row, await provider.stop_broadcast(handle))
                    if state is not BroadcastState.LIVE:
                        row.error = "withdrawn in golive; the platform keeps its own entry"
                else:
                    await withdraw(handle)
            except PlatformError as exc:
                await self._note_failure(workspace, exc)
                row.error = f"not cancelled there: {explain(exc)}"
                await report(progress, row.platform, row.status, row.error)
                return
            if state is not BroadcastState.LIVE:
                row.status = BroadcastState.CANCELLED.value
            await report(progress, row.platform, row.status)

        await asyncio.gather(*(one(r, h) for r, h in zip(stream.platforms, handles, strict=True)))
        stream.status = "cancelled"
        async with self.services.db.transaction() as session:
            await session.merge(stream)
            session.add(AuditEntry(actor=user, action="broadcast cancel", target=stream.id))
        await self.services.chat.changed(workspace, stream)
        await self.services.relay.end(stream.id)
        return stream

    async def update(
        self,
        workspace: str,
        user: str,
        stream_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        start: datetime | None = None,
    ) -> Livestream:
        """Change title, description or time before the broadcast goes live; platforms that
        can (``update_broadcast``) follow, the others are named in their row."""
        stream = await self.get(workspace, stream_id)
        if stream.status not in ("created",):
            raise ServiceError(
                f"Broadcast {stream.id} is {stream.status}: only a broadcast that has not "
                "started can be changed."
            )
        request = BroadcastRequest(
            title=title or stream.title,
            description=stream.description if description is None else description,
            scheduled_start=start or stream.scheduled_start,
            record=stream.record,
        )
        async with self.services.db.transaction() as session:
            stream = await session.get(Livestream, stream.id, populate_existing=True)
            assert stream is not None
            handles = [self._handle(session, r, user, "update broadcast") for r in stream.platforms]

        async def one(row: LivestreamPlatform, handle: BroadcastHandle) -> None:
            if row.status == BroadcastState.FAILED.value:
                return
            try:
                provider = await self.services.connections.provider(
                    workspace, row.platform, actor=user, operation="update broadcast"
                )
                change = getattr(provider, "update_broadcast", None)
                if change is None:
                    row.error = None
                    row.data = {**(row.data or {}), "note": "keeps its original details"}
                    return
                self._apply(row, await change(handle, request))
            except PlatformError as exc:
                await self._note_failure(workspace, exc)
                row.data = {**(row.data or {}), "note": f"not updated: {explain(exc)}"}

        await asyncio.gather(*(one(r, h) for r, h in zip(stream.platforms, handles, strict=True)))
        stream.title = request.title
        stream.description = request.description
        stream.scheduled_start = request.scheduled_start
        async with self.services.db.transaction() as session:
            await session.merge(stream)
            session.add(AuditEntry(actor=user, action="broadcast update", target=stream.id))
        return stream

    async def status(self, workspace: str, user: str, stream_id: str | None = None) -> Livestream:
        return await self.get(workspace, stream_id)


def scheduled_label(start: datetime | None) -> str:
    return start.strftime("%Y-%m-%d %H:%M %Z") if start else "now"
